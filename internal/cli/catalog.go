package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"

	"github.com/mcp-agents/mcp-agents/agents"
	"github.com/mcp-agents/mcp-agents/internal/agent"
	"github.com/mcp-agents/mcp-agents/internal/diskcache"
	"github.com/mcp-agents/mcp-agents/internal/search"
)

// sources discovers where agents come from, per the flags and environment.
func (e *env) sources() ([]agent.Source, []agent.Warning, error) {
	cwd, err := e.opts.Getwd()
	if err != nil {
		return nil, nil, fmt.Errorf("working directory: %w", err)
	}
	home, _ := e.opts.HomeDir() // no home: the user source is simply absent
	opts := agent.DiscoverOptions{Home: home, Cwd: cwd, EnvDirs: e.opts.Getenv("MCP_AGENTS_DIRS"), Dirs: e.cfg.agentDirs}
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
// start-up, so they are kept in the start-up cache (diskcache) under a
// fingerprint of the sources (paths, sizes, times; contents for the
// embedded set) and of this executable, and rebuilt only when either
// changed or the entry is damaged.
type indexedCatalog struct {
	cat   *agent.Catalog
	index *search.Index
	// save writes a freshly built catalog and index to the cache; nil when
	// they came from it.
	save func()
	// key fingerprints the files the catalog was built from ("" unknown).
	key string
}

// cacheEntry is what one cache entry holds, encoded with encoding/gob.
// There is no version number: the key covers the executable, so an entry
// is only ever read by the build that wrote it. The agents' texts are in
// an entry of their own (textsKey), read when one is first asked for: a
// warm start with the 412-file corpus then reads 1.7 MB, not 4.1.
type cacheEntry struct {
	Catalog agent.Snapshot
	Index   search.Snapshot
}

// textsKey names the entry that holds the texts of the catalog cached
// under key.
func textsKey(key string) string {
	sum := sha256.Sum256([]byte("agent texts\x00" + key))
	return hex.EncodeToString(sum[:diskcache.KeyLen/2])
}

func (e *env) loadIndexed(ctx context.Context, cache diskcache.Dir, srcs []agent.Source, discoverWarnings []agent.Warning) (*indexedCatalog, error) {
	e.logWarnings(discoverWarnings)
	key, err := agent.Fingerprint(srcs)
	if err != nil {
		e.log.Debug("start-up cache unavailable", "err", err)
	}
	if key != "" && cache != "" {
		ic, warnings, err := fromCache(cache, key, srcs, e.log)
		switch {
		case err != nil:
			e.log.Debug("start-up cache entry ignored; rebuilding it", "key", key, "err", err)
		case ic != nil:
			e.logWarnings(warnings)
			e.log.Debug("catalog loaded from the start-up cache", "agents", ic.cat.Len())
			ic.key = key
			return ic, nil
		}
	}
	cat, warnings, err := agent.Load(ctx, srcs)
	if err != nil {
		return nil, err
	}
	e.logWarnings(warnings)
	ic := &indexedCatalog{cat: cat, index: search.NewIndex(cat.All()), key: key}
	e.log.Debug("catalog built from files", "agents", cat.Len())
	if key != "" && cache != "" {
		ic.save = func() {
			if err := saveCache(cache, key, cat, warnings, ic.index); err != nil {
				e.log.Debug("start-up cache entry not written", "err", err)
			}
		}
	}
	return ic, nil
}

// fromCache returns the entry for key, nil when there is none, or an error
// when it cannot be used (damaged, unreadable, inconsistent).
func fromCache(cache diskcache.Dir, key string, srcs []agent.Source, log *slog.Logger) (*indexedCatalog, []agent.Warning, error) {
	data, err := cache.Read(key)
	if err != nil || data == nil {
		return nil, nil, err
	}
	var entry cacheEntry
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&entry); err != nil {
		return nil, nil, fmt.Errorf("decoding %s: %w", key, err)
	}
	texts := func() (agent.Texts, error) {
		var t agent.Texts
		data, err := cache.Read(textsKey(key))
		if err == nil && data == nil {
			err = errors.New("no entry")
		}
		if err == nil {
			err = gob.NewDecoder(bytes.NewReader(data)).Decode(&t)
		}
		if err != nil {
			log.Debug("agent texts not in the start-up cache; reading the agent files", "key", textsKey(key), "err", err)
		}
		return t, err
	}
	cat, warnings, err := entry.Catalog.Catalog(srcs, texts)
	if err != nil {
		return nil, nil, err
	}
	ix, err := search.FromSnapshot(&entry.Index, cat.All())
	if err != nil {
		return nil, nil, err
	}
	return &indexedCatalog{cat: cat, index: ix}, warnings, nil
}

// saveCache writes the texts first: a server that finds the catalog's
// entry usually finds them too.
func saveCache(cache diskcache.Dir, key string, cat *agent.Catalog, warnings []agent.Warning, ix *search.Index) error {
	snap, texts := cat.Snapshot(warnings)
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(texts); err != nil {
		return err
	}
	if err := cache.Write(textsKey(key), buf.Bytes()); err != nil {
		return err
	}
	buf.Reset()
	if err := gob.NewEncoder(&buf).Encode(cacheEntry{Catalog: snap, Index: ix.Snapshot()}); err != nil {
		return err
	}
	return cache.Write(key, buf.Bytes())
}
