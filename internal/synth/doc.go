// Package synth generates the log archive of a synthetic AWS organisation,
// Example Corp, exactly as AWS lays it out in S3: CloudTrail (with digest
// and Insights objects), AWS Config history and snapshots, IAM credential
// reports and VPC Flow Logs. It feeds `auditlake demo`, the tests (small
// archives with exact expectations, see Manifest) and the benchmarks (from
// a few events to tens of millions).
//
// # Why it is shaped this way
//
// Detections are only as good as the data they were tried on, and public
// samples are few, small and anonymised (see /work/shared/corpus). The
// archive therefore imitates what a real organisation accumulates:
//
//   - Keys follow AWS's layouts, including organisation trails
//     (AWSLogs/o-.../<account>/CloudTrail/...), unpadded Config dates,
//     "::" in Config file names, and a Hive-style flow log prefix for one
//     account.
//   - CloudTrail events come from people and machines with stable habits
//     (services, regions, source addresses, user agents, working hours), so
//     that anomaly detections have a baseline: September is quiet, the
//     incidents happen in October.
//   - The quirks parsers must survive are there: EC2's "items" wrappers and
//     {} for empty lists, null requestParameters, failed console sign-ins
//     without errorCode or arn, AwsServiceEvents with only accountId and
//     invokedBy, Client. error codes, S3 data events with resources[] using
//     "ARN", objects delivered after midnight into the next day's folder,
//     events delivered twice (same eventID in two objects), and, when
//     Config.Junk is set, broken objects.
//   - Incidents (Manifest.Incidents) are planted with exact event ids, next
//     to benign look-alikes (Manifest.Benign) for negative tests. AWS Config,
//     the credential reports and the flow logs tell the same story: the
//     security group opened in CloudTrail is open in Config and lets SSH in
//     in the flow logs.
//
// # How it works
//
// newOrg derives the organisation (accounts, resources, principals) from
// Config alone; newPlan renders the planned events. Generate then splits
// the work into units (CloudTrail: one account, region and part of a day;
// flow logs: one account, region and day; Config and credential reports:
// one account) that run on every core, each with a random stream seeded
// from (Seed, unit), so the output is byte-identical for a given Config
// whatever the scheduling. Objects are built and gzipped by the workers
// and written by a pool of Put goroutines; nothing holds more than a unit's
// event skeletons. CloudTrail digests need every log file of an hour in
// order, so unit results pass through a sequencer that emits each
// account-region's hourly digest chain once no later unit can deliver into
// that hour.
//
// Determinism covers bytes, not just counts: gzip headers carry no name and
// mtime 0, no map iteration order reaches the output, and math/rand/v2 PCG
// streams are seeded per unit.
package synth
