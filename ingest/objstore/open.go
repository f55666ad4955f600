package objstore

import "context"

// Open builds the store a user-supplied location names (see ParseURI) and
// returns it with the key prefix to read under. For "s3://bucket/prefix"
// cfg.Bucket is set from the location and the rest of cfg applies; for a
// directory cfg is ignored.
func Open(ctx context.Context, uri string, cfg S3Config) (store Store, prefix string, err error) {
	kind, bucket, prefix, err := ParseURI(uri)
	if err != nil {
		return nil, "", err
	}
	if kind == "s3" {
		cfg.Bucket = bucket
		store, err = NewS3(ctx, cfg)
		if err != nil {
			return nil, "", err
		}
		return store, prefix, nil
	}
	store, err = NewLocal(bucket)
	if err != nil {
		return nil, "", err
	}
	return store, "", nil
}
