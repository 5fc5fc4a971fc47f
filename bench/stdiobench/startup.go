package main

import (
	"fmt"
	"time"
)

// serverConfig is one way of running a server under test.
type serverConfig struct {
	Name string
	Bin  string
	Args []string
	// Tool and Args called as the first tools/call, which is what a host
	// waits for before the server is useful.
	Tool     string
	ToolArgs map[string]any
}

func (s serverConfig) start() (*client, error) {
	c, err := spawn(s.Bin, s.Args...)
	if err != nil {
		return nil, err
	}
	if err := c.initialize(); err != nil {
		_ = c.close()
		return nil, fmt.Errorf("%s: %w", s.Name, err)
	}
	return c, nil
}

// firstCall measures spawn → initialize → first tools/call answer. Shutdown
// is outside the timed region: a host does not wait for it.
// It also returns the time to the initialize answer, which separates work
// done before serving (loading, indexing, opening the store) from work
// deferred to the first call.
// cpu is the child's user+system time over its whole life (shutdown
// included), which on a loaded machine is steadier than wall-clock time.
func (s serverConfig) firstCall() (total, init, cpu time.Duration, err error) {
	t0 := time.Now()
	c, err := s.start()
	if err != nil {
		return 0, 0, 0, err
	}
	init = c.lastAt.Sub(t0)
	r, err := c.callTool(s.Tool, s.ToolArgs)
	total = c.lastAt.Sub(t0)
	cerr := c.close()
	if err != nil {
		return 0, 0, 0, fmt.Errorf("%s: %w", s.Name, err)
	}
	if r.IsError {
		return 0, 0, 0, fmt.Errorf("%s: %s returned isError: %s", s.Name, s.Tool, r.text())
	}
	if cerr != nil {
		return 0, 0, 0, fmt.Errorf("%s: shutdown: %w", s.Name, cerr)
	}
	ps := c.cmd.ProcessState
	return total, init, ps.UserTime() + ps.SystemTime(), nil
}

type startupRow struct {
	Name     string  `json:"name"`
	MedianMs float64 `json:"median_ms"`
	InitMs   float64 `json:"median_initialize_ms"`
	CPUMs    float64 `json:"median_cpu_ms"`
	// CPURatioVsNoop is informational; the targets are on wall time.
	CPURatioVsNoop float64   `json:"median_pairwise_cpu_ratio_vs_noop"`
	MinMs          float64   `json:"min_ms"`
	MaxMs          float64   `json:"max_ms"`
	RatioVsNoop    float64   `json:"median_pairwise_ratio_vs_noop"`
	Target         float64   `json:"target_ratio,omitempty"`
	Pass           *bool     `json:"pass,omitempty"`
	SamplesMs      []float64 `json:"samples_ms"`
}

// runStartup interleaves the configurations round by round so slow phases of
// the machine hit every configuration alike; configs[0] is the baseline.
func runStartup(configs []serverConfig, targets []float64, rounds int) ([]startupRow, error) {
	// One untimed run each warms the page cache for binaries and agent
	// files, and creates any database, so round 1 is not an outlier.
	for _, cfg := range configs {
		if _, _, _, err := cfg.firstCall(); err != nil {
			return nil, fmt.Errorf("warm-up: %w", err)
		}
	}
	samples := make([][]time.Duration, len(configs))
	inits := make([][]time.Duration, len(configs))
	cpus := make([][]time.Duration, len(configs))
	for range rounds {
		for i, cfg := range configs {
			d, init, cpu, err := cfg.firstCall()
			if err != nil {
				return nil, err
			}
			samples[i] = append(samples[i], d)
			inits[i] = append(inits[i], init)
			cpus[i] = append(cpus[i], cpu)
		}
	}
	rows := make([]startupRow, len(configs))
	for i, cfg := range configs {
		row := startupRow{
			Name:     cfg.Name,
			MedianMs: msf(median(samples[i])),
			InitMs:   msf(median(inits[i])),
			CPUMs:    msf(median(cpus[i])),
			MinMs:    msf(percentile(samples[i], 0.0001)),
			MaxMs:    msf(percentile(samples[i], 100)),
		}
		for _, d := range samples[i] {
			row.SamplesMs = append(row.SamplesMs, msf(d))
		}
		row.RatioVsNoop = medianFloat(pairwiseRatios(samples[i], samples[0]))
		row.CPURatioVsNoop = medianFloat(pairwiseRatios(cpus[i], cpus[0]))
		if i < len(targets) && targets[i] > 0 {
			row.Target = targets[i]
			row.Pass = boolp(row.RatioVsNoop <= targets[i])
		}
		rows[i] = row
	}
	return rows, nil
}

func msf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func usf(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
func boolp(b bool) *bool          { return &b }
