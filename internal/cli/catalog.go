package cli

import (
	"bytes"
	"context"
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
// start-up, so they are kept in the user's cache directory under a
// fingerprint of the sources (paths, sizes, times; contents for the embedded
// set) and of this executable, and rebuilt only when either changed.
type indexedCatalog struct {
	cat   *agent.Catalog
	index *search.Index
	// save writes a freshly built catalog and index to the cache; nil when
	// they came from it.
	save func()
	// key fingerprints the files the catalog was built from ("" unknown).
	key string
}

func (e *env) loadIndexed(ctx context.Context, cache diskcache.Dir, srcs []agent.Source, discoverWarnings []agent.Warning) (*indexedCatalog, error) {
	e.logWarnings(discoverWarnings)
	key, err := cacheKey(srcs)
	if err != nil {
		e.log.Debug("catalog cache unavailable", "err", err)
	}
	if key != "" && cache != "" {
		if ic, err := e.fromCache(cache, key); err == nil && ic != nil {
			e.log.Debug("catalog loaded from cache", "agents", ic.cat.Len())
			ic.key = key
			return ic, nil
		} else if err != nil {
			e.log.Debug("catalog cache not used", "err", err)
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
				e.log.Debug("catalog cache not written", "err", err)
			}
		}
	}
	return ic, nil
}

// The catalog and the index are two entries, so neither is copied into a
// combined buffer; the index checks on decoding that it belongs to the
// catalog it is given.
func catalogKey(key string) string { return key + ".catalog" }
func indexKey(key string) string   { return key + ".index" }

func (e *env) fromCache(cache diskcache.Dir, key string) (*indexedCatalog, error) {
	snap, err := cache.Read(catalogKey(key))
	if err != nil || snap == nil {
		return nil, err
	}
	idx, err := cache.Read(indexKey(key))
	if err != nil || idx == nil {
		return nil, err
	}
	cat, warnings, err := agent.DecodeSnapshot(snap)
	if err != nil {
		return nil, err
	}
	ix, err := search.UnmarshalIndex(idx, cat.All())
	if err != nil {
		return nil, err
	}
	e.logWarnings(warnings)
	return &indexedCatalog{cat: cat, index: ix}, nil
}

func saveCache(cache diskcache.Dir, key string, cat *agent.Catalog, warnings []agent.Warning, ix *search.Index) error {
	snap, err := agent.EncodeSnapshot(cat, warnings)
	if err != nil {
		return err
	}
	if err := cache.Write(catalogKey(key), snap); err != nil {
		return err
	}
	idx, err := ix.MarshalBinary()
	if err != nil {
		return err
	}
	return cache.Write(indexKey(key), idx)
}

// cacheKey names the cache entry for srcs. The fingerprint covers the files
// and this executable (a rebuilt or upgraded binary may parse or rank
// differently).
func cacheKey(srcs []agent.Source) (string, error) {
	fp, err := agent.Fingerprint(srcs)
	if err != nil {
		return "", err
	}
	return fp, nil
}
