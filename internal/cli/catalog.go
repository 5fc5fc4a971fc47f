package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/mcp-agents/mcp-agents/agents"
	"github.com/mcp-agents/mcp-agents/internal/agent"
	"github.com/mcp-agents/mcp-agents/internal/diskcache"
	"github.com/mcp-agents/mcp-agents/internal/search"
)

// sources discovers where agents come from, per the flags and environment.
func (e *env) sources() ([]agent.Source, []agent.Warning, error) {
	if e.set.cwdErr != nil {
		return nil, nil, e.set.cwdErr
	}
	opts := agent.DiscoverOptions{Home: e.set.home, Cwd: e.set.cwd, EnvDirs: e.set.envDirs, Dirs: e.cfg.agentDirs}
	if !e.cfg.noBuiltin {
		opts.Builtin = agents.FS
	}
	srcs, warnings := agent.Discover(opts)
	return srcs, warnings, nil
}

// loadCatalog discovers the agent sources, loads them and logs one warning
// per skipped file or overridden agent.
func (e *env) loadCatalog(ctx context.Context) (*agent.Catalog, error) {
	if _, err := e.logger(); err != nil {
		return nil, err
	}
	srcs, warnings, err := e.sources()
	if err != nil {
		return nil, err
	}
	cat, loadWarnings, err := agent.Load(ctx, srcs)
	if err != nil {
		return nil, err
	}
	e.logWarnings(append(warnings, loadWarnings...))
	return cat, nil
}

// The warnings are formatted together and written at once: a catalog with
// dozens of overrides would otherwise spend a write(2) on each at start-up.
func (e *env) logWarnings(warnings []agent.Warning) {
	if len(warnings) == 0 || !e.log.Enabled(context.Background(), slog.LevelWarn) {
		return
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	for _, w := range warnings {
		log.Warn("agent file skipped or overridden", "file", w.Path, "reason", w.Reason)
	}
	_, _ = e.stderr.Write(buf.Bytes())
}

// indexedCatalog is what the server needs from the agent files: the catalog
// and its search index. Building both from the files is most of a server's
// start-up, so they are kept in the start-up cache (diskcache), in an
// entry named by the sources (agent.CacheKey) that records the fingerprint
// of the files (paths, sizes, times; contents for the embedded set) and
// of this executable, and are rebuilt when either changed or the entry is
// damaged.
type indexedCatalog struct {
	cat   *agent.Catalog
	index *search.Index
	// save writes a freshly built catalog and index to the cache; nil when
	// they came from it.
	save func()
	// key fingerprints the files the catalog was built from ("" unknown).
	key string
	// warnings are those logged while loading: the reloads do not log
	// them again.
	warnings []agent.Warning
}

// cacheEntry is what one cache entry holds, encoded with encoding/gob.
// There is no version number: the entry's name covers the executable, so
// an entry is only ever read by the build that wrote it. The agents'
// texts are in an entry of their own (textsKey), read only for an agent
// whose file changed since (agent.Snapshot.Catalog): a warm start with the
// 412-file corpus reads 1.4 MB, not 4.1.
type cacheEntry struct {
	// Fingerprint is agent.Fingerprint of the files the entry was built from.
	Fingerprint string
	Catalog     agent.Snapshot
	Index       search.Snapshot
}

// textsKey names the entry that holds the texts of the catalog built from
// files with this fingerprint.
func textsKey(fingerprint string) string {
	sum := sha256.Sum256([]byte("agent texts\x00" + fingerprint))
	return hex.EncodeToString(sum[:diskcache.KeyLen/2])
}

// loadIndexed loads the catalog and index from the cache, or else from the
// files. The files are fingerprinted while the entry is read and decoded,
// on another core: for the 412-file corpus fingerprinting was a sixth of
// a warm start's work before serving (perf record of 40 starts).
//
// building, when not nil, is called before the catalog is built from the
// files rather than read from the cache.
func (e *env) loadIndexed(ctx context.Context, cache diskcache.Dir, srcs []agent.Source, discoverWarnings []agent.Warning, building func()) (*indexedCatalog, error) {
	e.logWarnings(discoverWarnings)
	type fingerprinted struct {
		key string
		err error
	}
	fpc := make(chan fingerprinted, 1)
	go func() {
		key, err := agent.Fingerprint(srcs)
		fpc <- fingerprinted{key, err}
	}()
	var (
		hit      *cacheHit
		cacheErr error
		name     string
	)
	if cache != "" {
		name = agent.CacheKey(srcs)
		hit, cacheErr = fromCache(cache, name, srcs, e.log)
	}
	fp := <-fpc
	if fp.err != nil {
		e.log.Debug("start-up cache unavailable", "err", fp.err)
	}
	if cache != "" && fp.key != "" {
		switch {
		case cacheErr != nil:
			e.log.Debug("start-up cache entry ignored; rebuilding it", "entry", name, "err", cacheErr)
		case hit != nil && hit.fingerprint != fp.key:
			e.log.Debug("start-up cache entry is of other files; rebuilding it", "entry", name)
		case hit != nil:
			e.logWarnings(hit.warnings)
			e.log.Debug("catalog loaded from the start-up cache", "agents", hit.cat.Len())
			return &indexedCatalog{cat: hit.cat, index: hit.index, key: fp.key,
				warnings: append(discoverWarnings, hit.warnings...)}, nil
		}
	}
	if building != nil {
		building()
	}
	cat, warnings, err := agent.Load(ctx, srcs)
	if err != nil {
		return nil, err
	}
	e.logWarnings(warnings)
	ic := &indexedCatalog{cat: cat, index: search.NewIndex(cat.All()), key: fp.key,
		warnings: append(discoverWarnings, warnings...)}
	e.log.Debug("catalog built from files", "agents", cat.Len())
	if fp.key != "" && cache != "" {
		ic.save = func() {
			if err := saveCache(cache, name, fp.key, cat, warnings, ic.index); err != nil {
				e.log.Debug("start-up cache entry not written", "err", err)
			}
		}
	}
	return ic, nil
}

// cacheHit is a decoded cache entry: the catalog, its index and load
// warnings, and the fingerprint of the files they were built from.
type cacheHit struct {
	cat         *agent.Catalog
	index       *search.Index
	warnings    []agent.Warning
	fingerprint string
}

// fromCache returns the entry called name, nil when there is none, or an
// error when it cannot be used (damaged, unreadable, inconsistent).
func fromCache(cache diskcache.Dir, name string, srcs []agent.Source, log *slog.Logger) (*cacheHit, error) {
	data, err := cache.Read(name)
	if err != nil || data == nil {
		return nil, err
	}
	var entry cacheEntry
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&entry); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", name, err)
	}
	texts := func() (agent.Texts, error) {
		var t agent.Texts
		key := textsKey(entry.Fingerprint)
		data, err := cache.Read(key)
		if err == nil && data == nil {
			err = errors.New("no entry")
		}
		if err == nil {
			err = gob.NewDecoder(bytes.NewReader(data)).Decode(&t)
		}
		if err != nil {
			log.Debug("agent texts not in the start-up cache; reading the changed agent files as they are", "entry", key, "err", err)
		}
		return t, err
	}
	cat, warnings, err := entry.Catalog.Catalog(srcs, texts)
	if err != nil {
		return nil, err
	}
	ix, err := search.FromSnapshot(&entry.Index, cat.All())
	if err != nil {
		return nil, err
	}
	return &cacheHit{cat: cat, index: ix, warnings: warnings, fingerprint: entry.Fingerprint}, nil
}

// saveCache writes the texts first: a server that finds the catalog's
// entry usually finds them too.
func saveCache(cache diskcache.Dir, name, fingerprint string, cat *agent.Catalog, warnings []agent.Warning, ix *search.Index) error {
	snap, texts := cat.Snapshot(warnings)
	if err := cache.WriteWith(textsKey(fingerprint), func(w io.Writer) error { return gob.NewEncoder(w).Encode(texts) }); err != nil {
		return err
	}
	return cache.WriteWith(name, func(w io.Writer) error {
		return gob.NewEncoder(w).Encode(cacheEntry{Fingerprint: fingerprint, Catalog: snap, Index: ix.Snapshot()})
	})
}
