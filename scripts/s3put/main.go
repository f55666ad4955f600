// Command s3put uploads a local archive to an S3-compatible server, for
// scripts/bench.sh: it creates the bucket if needed and puts every file under
// DIR at PREFIX + its path relative to DIR, skipping keys already there with
// the same size (so a cached upload is not redone).
//
//	AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... \
//	  go run -tags duckdb_arrow ./scripts/s3put --endpoint-url http://127.0.0.1:9000 --bucket bench --prefix ct-large/ DIR
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func main() {
	endpoint := flag.String("endpoint-url", "", "S3 endpoint, e.g. http://127.0.0.1:9000")
	bucket := flag.String("bucket", "", "bucket (created if missing)")
	prefix := flag.String("prefix", "", "key prefix (ending in /)")
	workers := flag.Int("workers", 32, "uploads at once")
	flag.Parse()
	if *endpoint == "" || *bucket == "" || flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: s3put --endpoint-url URL --bucket NAME [--prefix P/] DIR")
		os.Exit(2)
	}
	n, err := upload(context.Background(), *endpoint, *bucket, *prefix, flag.Arg(0), *workers)
	if err != nil {
		fmt.Fprintln(os.Stderr, "s3put:", err)
		os.Exit(1)
	}
	fmt.Printf("uploaded=%d\n", n)
}

func upload(ctx context.Context, endpoint, bucket, prefix, dir string, workers int) (int64, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"))
	if err != nil {
		return 0, err
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
	})
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		var owned *types.BucketAlreadyOwnedByYou
		var exists *types.BucketAlreadyExists
		if !errors.As(err, &owned) && !errors.As(err, &exists) {
			return 0, fmt.Errorf("create bucket %s: %w", bucket, err)
		}
	}
	have := map[string]int64{}
	pages := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return 0, fmt.Errorf("list: %w", err)
		}
		for _, o := range page.Contents {
			have[aws.ToString(o.Key)] = aws.ToInt64(o.Size)
		}
	}
	paths := make(chan string)
	var uploaded atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range paths {
				if err := put(ctx, client, bucket, prefix, dir, p); err != nil {
					mu.Lock()
					firstErr = errors.Join(firstErr, err)
					mu.Unlock()
					continue
				}
				uploaded.Add(1)
			}
		}()
	}
	walkErr := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if size, ok := have[prefix+filepath.ToSlash(rel)]; ok && size == info.Size() {
			return nil
		}
		paths <- p
		return nil
	})
	close(paths)
	wg.Wait()
	return uploaded.Load(), errors.Join(walkErr, firstErr)
}

func put(ctx context.Context, client *s3.Client, bucket, prefix, dir, p string) error {
	rel, err := filepath.Rel(dir, p)
	if err != nil {
		return err
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(prefix + filepath.ToSlash(rel)), Body: f,
	}); err != nil {
		return fmt.Errorf("put %s: %w", rel, err)
	}
	return nil
}
