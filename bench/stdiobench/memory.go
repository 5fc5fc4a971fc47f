package main

import "fmt"

type memoryRow struct {
	Name     string  `json:"name"`
	VmRSSKB  int64   `json:"vmrss_kb"`
	VmHWMKB  int64   `json:"vmhwm_kb"`
	TargetMB float64 `json:"target_mb,omitempty"`
	Pass     *bool   `json:"pass,omitempty"`
}

// memorySearches is how many calls run before sampling, so lazily built
// indexes and caches are counted.
const memorySearches = 10

// runMemory samples /proc/PID/status of each server after a few tool calls.
// targetsMB applies to the row with the same index (0 = no target).
func runMemory(configs []serverConfig, targetsMB []float64) ([]memoryRow, error) {
	var rows []memoryRow
	for i, cfg := range configs {
		c, err := cfg.start()
		if err != nil {
			return nil, err
		}
		row, err := sampleMemory(c, cfg)
		_ = c.close()
		if err != nil {
			return nil, err
		}
		if i < len(targetsMB) && targetsMB[i] > 0 {
			row.TargetMB = targetsMB[i]
			row.Pass = boolp(float64(max(row.VmRSSKB, row.VmHWMKB)) < targetsMB[i]*1024)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func sampleMemory(c *client, cfg serverConfig) (memoryRow, error) {
	for i := range memorySearches {
		args := cfg.ToolArgs
		if cfg.Tool == "search_agents" {
			args = searchArgs(i)
		}
		r, err := c.callTool(cfg.Tool, args)
		if err != nil {
			return memoryRow{}, fmt.Errorf("%s: %w", cfg.Name, err)
		}
		if r.IsError {
			return memoryRow{}, fmt.Errorf("%s: %s returned isError: %s", cfg.Name, cfg.Tool, r.text())
		}
	}
	rss, err := procStatusKB(c.pid(), "VmRSS")
	if err != nil {
		return memoryRow{}, err
	}
	hwm, err := procStatusKB(c.pid(), "VmHWM")
	if err != nil {
		return memoryRow{}, err
	}
	return memoryRow{Name: cfg.Name, VmRSSKB: rss, VmHWMKB: hwm}, nil
}
