package cli

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/mcp-agents/mcp-agents/agents"
	"github.com/mcp-agents/mcp-agents/internal/agent"
	"github.com/mcp-agents/mcp-agents/internal/search"
	"github.com/mcp-agents/mcp-agents/internal/store"
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
func (e *env) loadCatalog() (*agent.Catalog, error) {
	if _, err := e.logger(); err != nil {
		return nil, err
	}
	srcs, warnings, err := e.sources()
	if err != nil {
		return nil, err
	}
	cat, loadWarnings := agent.Load(srcs)
	e.logWarnings(append(warnings, loadWarnings...))
	return cat, nil
}

func (e *env) logWarnings(warnings []agent.Warning) {
	for _, w := range warnings {
		e.log.Warn("agent file skipped or overridden", "file", w.Path, "reason", w.Reason)
	}
}

// indexedCatalog is what the server needs from the agent files: the catalog
// and its search index. Building both from the files is most of a server's
// start-up, so it is kept in the database under a fingerprint of the sources
// (paths, sizes, times; contents for the embedded set) and of this
// executable, and rebuilt only when either changed. saved completes when a
// freshly built one has been written back.
type indexedCatalog struct {
	cat   *agent.Catalog
	index *search.Index
	saved sync.WaitGroup
}

func (e *env) loadIndexed(ctx context.Context, st *store.Store, srcs []agent.Source, discoverWarnings []agent.Warning) *indexedCatalog {
	e.logWarnings(discoverWarnings)
	key, err := cacheKey(srcs)
	if err != nil {
		e.log.Debug("catalog cache unavailable", "err", err)
	}
	if key != "" {
		if ic, err := e.fromCache(ctx, st, key); err == nil && ic != nil {
			e.log.Debug("catalog loaded from cache", "agents", ic.cat.Len())
			return ic
		} else if err != nil {
			e.log.Debug("catalog cache not used", "err", err)
		}
	}
	cat, warnings := agent.Load(srcs)
	e.logWarnings(warnings)
	ic := &indexedCatalog{cat: cat, index: search.NewIndex(cat.All())}
	e.log.Debug("catalog built from files", "agents", cat.Len())
	if key != "" {
		// Written after the server starts answering: a cold start should
		// not also wait for encoding and a database write.
		ic.saved.Go(func() {
			if err := saveCache(context.WithoutCancel(ctx), st, key, ic.cat, warnings, ic.index); err != nil {
				e.log.Debug("catalog cache not written", "err", err)
			}
		})
	}
	return ic
}

func (e *env) fromCache(ctx context.Context, st *store.Store, key string) (*indexedCatalog, error) {
	blob, err := st.Cached(ctx, key)
	if err != nil || blob == nil {
		return nil, err
	}
	if len(blob) < 8 {
		return nil, errors.New("cached catalog is truncated")
	}
	n := binary.LittleEndian.Uint64(blob)
	if n > uint64(len(blob)-8) {
		return nil, errors.New("cached catalog is truncated")
	}
	cat, warnings, err := agent.DecodeSnapshot(blob[8 : 8+n])
	if err != nil {
		return nil, err
	}
	ix, err := search.UnmarshalIndex(blob[8+n:], cat.All())
	if err != nil {
		return nil, err
	}
	e.logWarnings(warnings)
	return &indexedCatalog{cat: cat, index: ix}, nil
}

func saveCache(ctx context.Context, st *store.Store, key string, cat *agent.Catalog, warnings []agent.Warning, ix *search.Index) error {
	snap, err := agent.EncodeSnapshot(cat, warnings)
	if err != nil {
		return err
	}
	idx, err := ix.MarshalBinary()
	if err != nil {
		return err
	}
	blob := make([]byte, 8, 8+len(snap)+len(idx))
	binary.LittleEndian.PutUint64(blob, uint64(len(snap)))
	blob = append(append(blob, snap...), idx...)
	return st.PutCached(ctx, key, blob)
}

// cacheKey names the cache entry for srcs. The fingerprint covers the files
// and this executable (a rebuilt or upgraded binary may parse or rank
// differently).
func cacheKey(srcs []agent.Source) (string, error) {
	fp, err := agent.Fingerprint(srcs)
	if err != nil {
		return "", err
	}
	return "catalog:" + fp, nil
}
