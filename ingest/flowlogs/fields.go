package flowlogs

import "strings"

// kind is how a field's text becomes a column value.
type kind uint8

const (
	kString kind = iota // VARCHAR; "-" is NULL
	kInt32              // INTEGER
	kInt64              // BIGINT
	kEpoch              // TIMESTAMPTZ from Unix seconds
)

// field is one flow log field AWS defines.
type field struct {
	Name    string // as in a text header: "account-id"
	Column  string // column in vpc_flow: "account_id"; "" keeps the field in extra
	Kind    kind
	Version int // flow log version that introduced it (6: transit gateway flow logs)
	Doc     string
}

// catalogue lists every field AWS documents for VPC and transit gateway
// flow logs, in the vpc_flow table's column order. The text decoder binds a
// file's header to it by name and the Parquet decoder binds column names to
// it (Parquet spells the names with "_": "account_id"); nothing else in the
// decoders knows a field by name. A field AWS adds later is not lost: it
// lands in the extra column until a line here gives it a column.
//
// Transit gateway fields have no column of their own: they are kept in
// extra (integers as JSON numbers). Every column costs ingest time even
// when it is NULL (measured end to end: 64 columns load at 136k rows/s,
// 42 at 168k on two cores), flow logs are the biggest source, and the
// detections read VPC flows.
var catalogue = []field{
	// Version 2: the default format.
	{"version", "version", kInt32, 2, "flow log version of the record's format (2: default; 3, 4, 5, 7, 8: custom formats using newer fields; 6: transit gateway)"},
	{"account-id", "account_id", kString, 2, "account that owns the network interface (for transit gateway flow logs: the transit gateway's account)"},
	{"interface-id", "interface_id", kString, 2, "network interface (ENI) the traffic was recorded on"},
	{"srcaddr", "srcaddr", kString, 2, "source address as text, IPv4 or IPv6 (VARCHAR: DuckDB's INET type is an extension that cannot be downloaded at run time; use is_private_ip / is_public_ip)"},
	{"dstaddr", "dstaddr", kString, 2, "destination address as text, IPv4 or IPv6"},
	{"srcport", "srcport", kInt32, 2, "source port (0 for ICMP)"},
	{"dstport", "dstport", kInt32, 2, "destination port (0 for ICMP)"},
	{"protocol", "protocol", kInt32, 2, "IANA protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6); vpc_flow_enriched names it"},
	{"packets", "packets", kInt64, 2, "packets in the flow during the capture window"},
	{"bytes", "bytes", kInt64, 2, "bytes in the flow during the capture window"},
	{"start", "start_time", kEpoch, 2, "`start`: when the first packet of the flow was received in the aggregation interval"},
	{"end", "end_time", kEpoch, 2, "`end`: when the last packet of the flow was received in the aggregation interval"},
	{"action", "action", kString, 2, "ACCEPT or REJECT (NULL on NODATA and SKIPDATA records)"},
	{"log-status", "log_status", kString, 2, "OK; NODATA (no traffic in the interval) or SKIPDATA (records were skipped: capacity or internal error). Count these for coverage"},
	// Version 3.
	{"vpc-id", "vpc_id", kString, 3, "VPC of the network interface"},
	{"subnet-id", "subnet_id", kString, 3, "subnet of the network interface"},
	{"instance-id", "instance_id", kString, 3, "instance the interface is attached to (NULL for requester-managed interfaces such as NAT gateways)"},
	{"tcp-flags", "tcp_flags", kInt32, 3, "bitwise OR of the TCP flags seen in the interval (FIN 1, SYN 2, RST 4, SYN-ACK 18)"},
	{"type", "type", kString, 3, "traffic type: IPv4, IPv6 or EFA"},
	{"pkt-srcaddr", "pkt_srcaddr", kString, 3, "packet-level (original) source address; differs from srcaddr through NAT gateways and load balancers"},
	{"pkt-dstaddr", "pkt_dstaddr", kString, 3, "packet-level (original) destination address"},
	// Version 4.
	{"region", "region", kString, 4, "Region of the network interface (from the record; key_region is the key's)"},
	{"az-id", "az_id", kString, 4, "Availability Zone ID, e.g. use1-az5"},
	{"sublocation-type", "sublocation_type", kString, 4, "wavelength, outpost or localzone"},
	{"sublocation-id", "sublocation_id", kString, 4, "ID of the sublocation"},
	// Version 5.
	{"pkt-src-aws-service", "pkt_src_aws_service", kString, 5, "AWS service owning pkt_srcaddr (AMAZON, S3, CLOUDFRONT, EC2, ...)"},
	{"pkt-dst-aws-service", "pkt_dst_aws_service", kString, 5, "AWS service owning pkt_dstaddr"},
	{"flow-direction", "flow_direction", kString, 5, "ingress or egress, relative to the interface"},
	{"traffic-path", "traffic_path", kInt32, 5, "egress path: 1 same VPC, 2 internet gateway or gateway endpoint, 3 virtual private gateway, 4 intra-region peering, 5 inter-region peering, 6 local gateway, 7 gateway endpoint, 8 internet gateway"},
	// Version 7: ECS.
	{"ecs-cluster-arn", "ecs_cluster_arn", kString, 7, "ECS cluster ARN"},
	{"ecs-cluster-name", "ecs_cluster_name", kString, 7, "ECS cluster name"},
	{"ecs-container-instance-arn", "ecs_container_instance_arn", kString, 7, "ECS container instance ARN (EC2 launch type)"},
	{"ecs-container-instance-id", "ecs_container_instance_id", kString, 7, "ECS container instance ID"},
	{"ecs-container-id", "ecs_container_id", kString, 7, "Docker runtime ID of the first container of the task"},
	{"ecs-second-container-id", "ecs_second_container_id", kString, 7, "Docker runtime ID of the second container"},
	{"ecs-service-name", "ecs_service_name", kString, 7, "ECS service name"},
	{"ecs-task-definition-arn", "ecs_task_definition_arn", kString, 7, "ECS task definition ARN"},
	{"ecs-task-arn", "ecs_task_arn", kString, 7, "ECS task ARN"},
	{"ecs-task-id", "ecs_task_id", kString, 7, "ECS task ID"},
	// Version 8.
	{"reject-reason", "reject_reason", kString, 8, "why traffic was rejected, e.g. BPA (VPC Block Public Access)"},
	// Transit gateway flow logs (version 6), delivered under the same
	// vpcflowlogs/ prefix: kept in extra.
	{"resource-type", "", kString, 6, "transit gateway flow logs: TransitGateway or TransitGatewayAttachment"},
	{"tgw-id", "", kString, 6, "transit gateway ID"},
	{"tgw-attachment-id", "", kString, 6, "transit gateway attachment ID"},
	{"tgw-src-vpc-account-id", "", kString, 6, "account of the source VPC"},
	{"tgw-dst-vpc-account-id", "", kString, 6, "account of the destination VPC"},
	{"tgw-src-vpc-id", "", kString, 6, "source VPC"},
	{"tgw-dst-vpc-id", "", kString, 6, "destination VPC"},
	{"tgw-src-subnet-id", "", kString, 6, "source subnet"},
	{"tgw-dst-subnet-id", "", kString, 6, "destination subnet"},
	{"tgw-src-eni", "", kString, 6, "source attachment's network interface"},
	{"tgw-dst-eni", "", kString, 6, "destination attachment's network interface"},
	{"tgw-src-az-id", "", kString, 6, "source Availability Zone ID"},
	{"tgw-dst-az-id", "", kString, 6, "destination Availability Zone ID"},
	{"tgw-pair-attachment-id", "", kString, 6, "the other attachment of the flow"},
	{"packets-lost-no-route", "", kInt64, 6, "packets dropped: no route"},
	{"packets-lost-blackhole", "", kInt64, 6, "packets dropped: blackhole route"},
	{"packets-lost-mtu-exceeded", "", kInt64, 6, "packets dropped: larger than the MTU"},
	{"packets-lost-ttl-expired", "", kInt64, 6, "packets dropped: TTL expired"},
}

// byName maps a field name, in either spelling ("log-status", "log_status"),
// to its catalogue index.
var byName = func() map[string]int {
	m := make(map[string]int, 2*len(catalogue))
	for i, f := range catalogue {
		m[f.Name] = i
		m[strings.ReplaceAll(f.Name, "-", "_")] = i
	}
	return m
}()

// columnOf maps a catalogue index to its table column, or -1 for fields
// kept in extra.
var columnOf = func() []int {
	out := make([]int, len(catalogue))
	n := 0
	for i, f := range catalogue {
		out[i] = -1
		if f.Column != "" {
			out[i] = n
			n++
		}
	}
	return out
}()

// numFieldColumns is how many columns the catalogue's fields take.
var numFieldColumns = func() int {
	n := 0
	for _, c := range columnOf {
		if c >= 0 {
			n++
		}
	}
	return n
}()

// lookup returns the catalogue index of a field name, or -1.
func lookup(name []byte) int {
	if i, ok := byName[string(name)]; ok { // no allocation: map index by string(bytes)
		return i
	}
	return -1
}

// defaultFormats are the formats a file without a header line is read in,
// chosen by the number of fields on each line. AWS always writes a header
// into S3 objects; headerless lines come from other pipelines (Elastic's
// fixtures, CloudWatch exports), and these are the formats they use: the
// default format, and "all fields of version N" in AWS's documented order.
// Two formats never share a field count.
var defaultFormats = []struct {
	Name   string
	Fields string
}{
	{"default (version 2)", "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"},
	{"all fields to version 5", "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path"},
	{"transit gateway default (version 6)", "version resource-type account-id tgw-id tgw-attachment-id tgw-src-vpc-account-id tgw-dst-vpc-account-id tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id tgw-src-eni tgw-dst-eni tgw-src-az-id tgw-dst-az-id tgw-pair-attachment-id srcaddr dstaddr srcport dstport protocol packets bytes start end log-status type packets-lost-no-route packets-lost-blackhole packets-lost-mtu-exceeded packets-lost-ttl-expired tcp-flags region flow-direction pkt-src-aws-service pkt-dst-aws-service"},
	{"all fields to version 7", "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path ecs-cluster-arn ecs-cluster-name ecs-container-instance-arn ecs-container-instance-id ecs-container-id ecs-second-container-id ecs-service-name ecs-task-definition-arn ecs-task-arn ecs-task-id"},
	{"all fields to version 8", "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path ecs-cluster-arn ecs-cluster-name ecs-container-instance-arn ecs-container-instance-id ecs-container-id ecs-second-container-id ecs-service-name ecs-task-definition-arn ecs-task-arn ecs-task-id reject-reason"},
}
