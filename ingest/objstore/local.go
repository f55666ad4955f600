package objstore

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// tmpPrefix marks Put's temporary files. List skips names that start with
// it, so a concurrent listing never sees a half-written object.
const tmpPrefix = ".auditlake-put-"

// localStore is a directory laid out like a bucket: the key "a/b/c.json.gz"
// is the file dir/a/b/c.json.gz.
//
// Every file access goes through an os.Root, so no key and no symbolic link
// can reach outside the directory. Symbolic links are followed when they are
// relative, stay inside the directory and name a regular file; links to
// directories (which could loop) and anything else that is not a regular
// file (devices, sockets, FIFOs) are left out of listings, as S3 has no such
// things.
type localStore struct {
	dir  string // absolute
	root *os.Root
}

// NewLocal returns a Store over the existing directory dir. The store holds
// the directory open for its lifetime.
func NewLocal(dir string) (Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("local store %s: %w", dir, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("local store: directory %s does not exist", abs)
		}
		return nil, fmt.Errorf("local store: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("local store: %s is not a directory", abs)
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("local store: %w", err)
	}
	return &localStore{dir: abs, root: root}, nil
}

func (l *localStore) URI() string    { return "file://" + filepath.ToSlash(l.dir) }
func (l *localStore) Bucket() string { return l.dir }

// localETag stands in for an S3 ETag: it changes when a file is rewritten
// and costs one stat, not a read of the file. It is 16 hex digits so that it
// is never taken for an MD5.
func localETag(fi fs.FileInfo) string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], uint64(fi.Size()))
	binary.LittleEndian.PutUint64(b[8:], uint64(fi.ModTime().UnixNano()))
	h := fnv.New64a()
	h.Write(b[:])
	return fmt.Sprintf("%016x", h.Sum64())
}

func localInfo(key string, fi fs.FileInfo) ObjectInfo {
	return ObjectInfo{Key: key, Size: fi.Size(), ETag: localETag(fi), LastModified: fi.ModTime().UTC()}
}

// checkKey refuses keys that a directory cannot hold as a plain relative
// path: empty, absolute, with "." or ".." or empty segments, or a NUL.
func checkKey(key string) error {
	if key == "" || strings.HasPrefix(key, "/") || strings.ContainsRune(key, 0) {
		return fmt.Errorf("key %q is not a relative path", key)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("key %q has an empty, \".\" or \"..\" segment", key)
		}
	}
	if !filepath.IsLocal(filepath.FromSlash(key)) {
		return fmt.Errorf("key %q is not a local path", key)
	}
	return nil
}

// fsErr maps a file system error for key to the package's sentinels.
func (l *localStore) fsErr(key string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s/%s: %w", l.dir, key, ErrNotFound)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%s/%s: %w: check the file permissions", l.dir, key, ErrAccessDenied)
	}
	return fmt.Errorf("local store %s: %w", l.dir, err)
}

// dirent is one directory entry as a listing sees it.
type dirent struct {
	name  string
	isDir bool
	info  fs.FileInfo // regular files only
}

// sortKey orders entries as their keys sort: a directory "a" holds keys
// "a/...", which sort after "a-b" and "a.json" ('/' is 0x2f).
func (d dirent) sortKey() string {
	if d.isDir {
		return d.name + "/"
	}
	return d.name
}

// readDir returns the entries of the directory rel (a slash path, "" for
// the root) that a listing may show, in key order. A missing directory is
// empty, as a prefix with no keys is in S3.
func (l *localStore) readDir(rel string) ([]dirent, error) {
	name := "."
	if rel != "" {
		name = filepath.FromSlash(strings.TrimSuffix(rel, "/"))
	}
	f, err := l.root.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) || isNotDir(err) {
			return nil, nil
		}
		return nil, l.fsErr(rel, err)
	}
	defer f.Close()
	des, err := f.ReadDir(-1)
	if err != nil {
		if isNotDir(err) {
			return nil, nil
		}
		return nil, l.fsErr(rel, err)
	}
	out := make([]dirent, 0, len(des))
	for _, de := range des {
		n := de.Name()
		if strings.HasPrefix(n, tmpPrefix) {
			continue
		}
		switch t := de.Type(); {
		case t.IsDir():
			out = append(out, dirent{name: n, isDir: true})
		case t.IsRegular():
			fi, err := de.Info()
			if err != nil {
				continue // removed since ReadDir
			}
			out = append(out, dirent{name: n, info: fi})
		case t&fs.ModeSymlink != 0:
			// Root.Stat follows the link and fails if it leaves the root.
			fi, err := l.root.Stat(filepath.Join(name, n))
			if err == nil && fi.Mode().IsRegular() {
				out = append(out, dirent{name: n, info: fi})
			}
		}
	}
	slices.SortFunc(out, func(a, b dirent) int { return strings.Compare(a.sortKey(), b.sortKey()) })
	return out, nil
}

func isNotDir(err error) bool { return errors.Is(err, syscall.ENOTDIR) }

// List walks the directory tree depth first with each directory's entries
// in key order, which yields keys in lexical order overall.
func (l *localStore) List(ctx context.Context, prefix, delimiter string) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		if delimiter != "" && delimiter != "/" {
			yield(Entry{}, fmt.Errorf("local store: delimiter %q not supported (use \"\" or \"/\")", delimiter))
			return
		}
		dir := prefix[:strings.LastIndex(prefix, "/")+1]
		if dir != "" {
			if err := checkKey(strings.TrimSuffix(dir, "/")); err != nil {
				yield(Entry{}, fmt.Errorf("local store: prefix %q: %w", prefix, err))
				return
			}
		}
		l.walk(ctx, dir, prefix[len(dir):], delimiter, yield)
	}
}

// walk lists directory dir (a key prefix ending in "/", or "") and returns
// false once yield asked to stop or an error was yielded.
func (l *localStore) walk(ctx context.Context, dir, namePrefix, delimiter string, yield func(Entry, error) bool) bool {
	if err := ctx.Err(); err != nil {
		yield(Entry{}, err)
		return false
	}
	ents, err := l.readDir(dir)
	if err != nil {
		yield(Entry{}, err)
		return false
	}
	for _, e := range ents {
		if !strings.HasPrefix(e.name, namePrefix) {
			continue
		}
		key := dir + e.name
		switch {
		case !e.isDir:
			if !yield(Entry{ObjectInfo: localInfo(key, e.info)}, nil) {
				return false
			}
		case delimiter == "/":
			has, err := l.hasObject(key + "/")
			if err != nil {
				yield(Entry{}, err)
				return false
			}
			// S3 shows a common prefix only where some key has it.
			if has && !yield(Entry{ObjectInfo: ObjectInfo{Key: key + "/"}, IsPrefix: true}, nil) {
				return false
			}
		default:
			if !l.walk(ctx, key+"/", "", delimiter, yield) {
				return false
			}
		}
	}
	return true
}

// hasObject reports whether some listable file lies below dir. It stops at
// the first one, which is usually the first entry.
func (l *localStore) hasObject(dir string) (bool, error) {
	ents, err := l.readDir(dir)
	if err != nil {
		return false, err
	}
	for _, e := range ents {
		if !e.isDir {
			return true, nil
		}
	}
	for _, e := range ents {
		if has, err := l.hasObject(dir + e.name + "/"); has || err != nil {
			return has, err
		}
	}
	return false, nil
}

func (l *localStore) Stat(ctx context.Context, key string) (ObjectInfo, error) {
	if err := checkKey(key); err != nil {
		return ObjectInfo{}, fmt.Errorf("local store: %w", err)
	}
	fi, err := l.root.Stat(filepath.FromSlash(key))
	if err != nil {
		return ObjectInfo{}, l.fsErr(key, err)
	}
	if !fi.Mode().IsRegular() {
		return ObjectInfo{}, fmt.Errorf("%s/%s: not a regular file: %w", l.dir, key, ErrNotFound)
	}
	return localInfo(key, fi), nil
}

// Open checks the file against info before reading: another size is an
// *IntegrityError, the same size with another modification time (ETag) is
// ErrChanged. The reader checks the size again at EOF, for a file that is
// truncated or grows while it is read.
func (l *localStore) Open(ctx context.Context, info ObjectInfo) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkKey(info.Key); err != nil {
		return nil, fmt.Errorf("local store: %w", err)
	}
	f, err := l.root.Open(filepath.FromSlash(info.Key))
	if err != nil {
		return nil, l.fsErr(info.Key, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, l.fsErr(info.Key, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s/%s: not a regular file: %w", l.dir, info.Key, ErrNotFound)
	}
	if fi.Size() != info.Size {
		f.Close()
		return nil, &IntegrityError{Key: info.Key, What: "size", Want: fmt.Sprint(info.Size), Got: fmt.Sprint(fi.Size())}
	}
	if info.ETag != "" && localETag(fi) != info.ETag {
		f.Close()
		return nil, fmt.Errorf("%s/%s: modified since it was listed: %w", l.dir, info.Key, ErrChanged)
	}
	return &localReader{ctx: ctx, f: f, key: info.Key, want: info.Size}, nil
}

type localReader struct {
	ctx  context.Context
	f    *os.File
	key  string
	want int64
	n    int64
	err  error
}

func (r *localReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if err := r.ctx.Err(); err != nil {
		r.err = err
		return 0, err
	}
	n, err := r.f.Read(p)
	r.n += int64(n)
	switch {
	case r.n > r.want:
		r.err = &IntegrityError{Key: r.key, What: "size", Want: fmt.Sprint(r.want), Got: fmt.Sprintf("more than %d", r.want)}
		return n, r.err
	case err == io.EOF && r.n != r.want:
		r.err = &IntegrityError{Key: r.key, What: "size", Want: fmt.Sprint(r.want), Got: fmt.Sprint(r.n)}
		return n, r.err
	case err != nil && err != io.EOF:
		err = fmt.Errorf("read %s: %w", r.key, err)
	}
	r.err = err
	return n, err
}

func (r *localReader) Close() error { return r.f.Close() }

// Put writes body to a temporary file beside the key and renames it into
// place, so that a reader sees the old file or the whole new one. size, if
// not negative, must be the body's length. Parent directories are created.
// The file is not fsynced: a crash may lose it, but never leaves a torn one
// under its name.
func (l *localStore) Put(ctx context.Context, key string, body io.Reader, size int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkKey(key); err != nil {
		return fmt.Errorf("local store: put: %w", err)
	}
	name := filepath.FromSlash(key)
	if d := filepath.Dir(name); d != "." {
		if err := l.root.MkdirAll(d, 0o755); err != nil {
			return l.fsErr(key, err)
		}
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	tmp := filepath.Join(filepath.Dir(name), tmpPrefix+hex.EncodeToString(rnd[:]))
	f, err := l.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return l.fsErr(key, err)
	}
	n, err := io.Copy(f, ctxReader{ctx, body})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && size >= 0 && n != size {
		err = fmt.Errorf("body has %d bytes, want %d", n, size)
	}
	if err == nil {
		err = l.root.Rename(tmp, name)
	}
	if err != nil {
		l.root.Remove(tmp)
		return fmt.Errorf("local store: put %s: %w", key, err)
	}
	return nil
}

// ctxReader stops a copy when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
