package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// cacheKeep is how many keys the cache keeps: a few fingerprints (agent
// directories, binary versions) may alternate, while blobs of up to several
// MB each must not pile up in the database.
const cacheKeep = 8

const (
	sqlCacheGet = `SELECT data FROM cache WHERE key = ?`
	sqlCachePut = `REPLACE INTO cache (key, data, written_at) VALUES (?, ?, ?)`
	// The subquery is the newest row that must go (OFFSET cacheKeep); with no
	// more than cacheKeep rows it is NULL and nothing matches.
	sqlCacheEvict = `DELETE FROM cache WHERE seq <= (SELECT seq FROM cache ORDER BY seq DESC LIMIT 1 OFFSET ?)`
)

func checkCacheKey(key string) error {
	if key == "" {
		return invalid("key", "key is required (a non-empty cache key such as a fingerprint)")
	}
	return nil
}

// Cached returns the blob stored under key, or (nil, nil) when there is none.
// A stored empty blob reads back as a non-nil empty slice.
func (s *Store) Cached(ctx context.Context, key string) ([]byte, error) {
	if err := checkCacheKey(key); err != nil {
		return nil, err
	}
	// One statement outside an explicit transaction: it is its own snapshot,
	// and BEGIN/COMMIT would add two round trips to every start-up.
	if err := s.rstmts.prepare(ctx, sqlCacheGet); err != nil {
		return nil, mapErr("read cache", err)
	}
	st, _ := s.rstmts.lookup(sqlCacheGet)
	var dst ownedBlob
	err := st.QueryRowContext(ctx, key).Scan(&dst)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, mapErr("read cache", err)
	}
	if dst.b == nil {
		return []byte{}, nil // the driver reads a zero-length blob as nil
	}
	return dst.b, nil
}

// ownedBlob keeps the driver's slice instead of the copy database/sql makes
// for a *[]byte destination: for a blob of several MB that copy was a third
// of Cached's CPU time. modernc.org/sqlite allocates a new slice for every blob
// it returns (conn.columnBlob), so nothing else holds it;
// TestCachedReturnsACopy fails if a driver upgrade starts reusing buffers.
type ownedBlob struct{ b []byte }

func (o *ownedBlob) Scan(src any) error {
	switch v := src.(type) {
	case []byte:
		o.b = v
	case nil:
		o.b = nil
	default:
		return fmt.Errorf("cache data is %T, not a blob", src)
	}
	return nil
}

// PutCached stores data under key (replacing any previous value) and keeps
// only the most recently written 8 keys, deleting older ones in the same
// transaction. Of concurrent writers of one key, across processes too, the
// last to commit wins.
func (s *Store) PutCached(ctx context.Context, key string, data []byte) error {
	if err := checkCacheKey(key); err != nil {
		return err
	}
	if data == nil {
		data = []byte{} // the driver binds a nil slice as NULL
	}
	now := formatTime(s.now())
	return s.writeTx(ctx, "write cache", []string{sqlCachePut, sqlCacheEvict}, func(w *txn) error {
		if _, err := w.exec(sqlCachePut, key, data, now); err != nil {
			return err
		}
		_, err := w.exec(sqlCacheEvict, cacheKeep)
		return err
	})
}
