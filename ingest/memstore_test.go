package ingest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/auditlake/auditlake/ingest/objstore"
)

// memStore is an in-process fake bucket for the loader's unit tests (the
// S3 path is tested against a real server in TestIntegration...). It
// records the prefixes listed so that tests can check pruning, and can fail
// chosen keys.
type memStore struct {
	mu      sync.Mutex
	objects map[string][]byte
	listed  []string
	failKey map[string]error
	opened  map[string]int
}

func newMemStore() *memStore {
	return &memStore{objects: map[string][]byte{}, failKey: map[string]error{}, opened: map[string]int{}}
}

func (m *memStore) URI() string    { return "s3://mem-bucket" }
func (m *memStore) Bucket() string { return "mem-bucket" }

func (m *memStore) info(k string) objstore.ObjectInfo {
	sum := md5.Sum(m.objects[k])
	return objstore.ObjectInfo{Key: k, Size: int64(len(m.objects[k])), ETag: hex.EncodeToString(sum[:]), LastModified: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
}

func (m *memStore) List(ctx context.Context, prefix, delim string) iter.Seq2[objstore.Entry, error] {
	return func(yield func(objstore.Entry, error) bool) {
		m.mu.Lock()
		m.listed = append(m.listed, prefix)
		keys := make([]string, 0, len(m.objects))
		for k := range m.objects {
			keys = append(keys, k)
		}
		m.mu.Unlock()
		slices.Sort(keys)
		seen := map[string]bool{}
		for _, k := range keys {
			if !strings.HasPrefix(k, prefix) {
				continue
			}
			rest := k[len(prefix):]
			if delim != "" {
				if i := strings.Index(rest, delim); i >= 0 {
					p := prefix + rest[:i+1]
					if !seen[p] {
						seen[p] = true
						if !yield(objstore.Entry{ObjectInfo: objstore.ObjectInfo{Key: p}, IsPrefix: true}, nil) {
							return
						}
					}
					continue
				}
			}
			m.mu.Lock()
			e := objstore.Entry{ObjectInfo: m.info(k)}
			m.mu.Unlock()
			if !yield(e, nil) {
				return
			}
		}
	}
}

func (m *memStore) Open(ctx context.Context, info objstore.ObjectInfo) (io.ReadCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.opened[info.Key]++
	if err := m.failKey[info.Key]; err != nil {
		return nil, err
	}
	b, ok := m.objects[info.Key]
	if !ok {
		return nil, fmt.Errorf("%s: %w", info.Key, objstore.ErrNotFound)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (m *memStore) Stat(ctx context.Context, key string) (objstore.ObjectInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.objects[key]; !ok {
		return objstore.ObjectInfo{}, objstore.ErrNotFound
	}
	return m.info(key), nil
}

func (m *memStore) Put(ctx context.Context, key string, body io.Reader, size int64) error {
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objects[key] = b
	return nil
}

var errDenied = errors.New("AccessDenied: not allowed")
