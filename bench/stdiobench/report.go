package main

import (
	"fmt"
	"io"
	"text/tabwriter"
)

func verdict(p *bool) string {
	switch {
	case p == nil:
		return ""
	case *p:
		return "PASS"
	default:
		return "FAIL"
	}
}

func printTable(out io.Writer, r *report) {
	e := r.Env
	fmt.Fprintf(out, "stdiobench  %s %s/%s, %d CPUs, load average %s before, %s after\n  bin=%s\n  noop=%s\n  corpus=%s\n\n",
		e.GoVersion, e.OS, e.Arch, e.CPUs, e.LoadBefore, e.LoadAfter, e.Bin, e.Noop, e.Corpus)
	table := func(title, header string, rows func(w io.Writer)) {
		fmt.Fprintln(out, title)
		w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(w, header)
		rows(w)
		w.Flush()
		fmt.Fprintln(out)
	}
	if len(r.Startup) > 0 {
		table(fmt.Sprintf("(a) start-up: spawn → initialize → first tools/call answer, %d interleaved rounds", e.Rounds),
			"  configuration\tmedian ms\t(initialize)\tmin ms\tmax ms\tCPU ms\tCPU ratio\tmedian pairwise ratio\ttarget\t",
			func(w io.Writer) {
				for _, s := range r.Startup {
					fmt.Fprintf(w, "  %s\t%.2f\t(%.2f)\t%.2f\t%.2f\t%.1f\t%.2fx\t%.2fx\t%s\t%s\n",
						s.Name, s.MedianMs, s.InitMs, s.MinMs, s.MaxMs, s.CPUMs, s.CPURatioVsNoop, s.RatioVsNoop, target(s.Target), verdict(s.Pass))
				}
			})
	}
	if len(r.Latency) > 0 {
		table("(b) per-call latency on long-lived servers, calls interleaved",
			"  call\tcalls\tp50 µs\tp99 µs\tresponse bytes\tp50 ratio vs noop\ttarget\t",
			func(w io.Writer) {
				for _, l := range r.Latency {
					fmt.Fprintf(w, "  %s\t%d\t%.0f\t%.0f\t%d\t%.2fx\t%s\t%s\n",
						l.Name, l.Calls, l.P50us, l.P99us, l.RespBytes, l.RatioP50, target(l.Target), verdict(l.Pass))
				}
			})
	}
	if len(r.Memory) > 0 {
		table(fmt.Sprintf("(c) memory after %d tool calls", memorySearches),
			"  server\tVmRSS MB\tVmHWM MB\ttarget (VmHWM)\t",
			func(w io.Writer) {
				for _, m := range r.Memory {
					t := ""
					if m.TargetMB > 0 {
						t = fmt.Sprintf("< %.0f MB", m.TargetMB)
					}
					fmt.Fprintf(w, "  %s\t%.1f\t%.1f\t%s\t%s\n",
						m.Name, float64(m.VmRSSKB)/1024, float64(m.VmHWMKB)/1024, t, verdict(m.Pass))
				}
			})
	}
	if x := r.Race; x != nil {
		fmt.Fprintf(out, "(d) lock race: %d processes, one fresh db, %d flags each\n", x.Processes, x.FlagsPerProcess)
		fmt.Fprintf(out, "  create: %d flags in %.3fs = %.0f creates/s (p50 %.0f µs, p99 %.0f µs), %d create errors\n",
			x.FlagsCreated, x.CreateSeconds, x.CreatesPerSec, x.CreateP50us, x.CreateP99us, x.CreateErrors)
		fmt.Fprintf(out, "  lock:   %d attempts in %.3fs = %.0f attempts/s (p50 %.0f µs, p99 %.0f µs)\n",
			x.LockAttempts, x.LockSeconds, x.LockAttemptsPerSec, x.LockP50us, x.LockP99us)
		fmt.Fprintf(out, "  locked exactly once: %d/%d, never: %d, more than once: %d, lost races: %d (expected %d)\n",
			x.LockedExactlyOnce, x.FlagsCreated, x.NeverLocked, x.LockedMoreThanOnce, x.LostRaces, x.LockAttempts-x.FlagsCreated)
		fmt.Fprintf(out, "  busy/database-locked errors: %d, transport errors: %d, successes naming another holder: %d  → %s\n",
			x.BusyErrors, x.TransportErrors, x.WrongHolder, verdict(&x.Pass))
		if len(x.ErrorShapes) > 0 {
			fmt.Fprintln(out, "  error texts (digits as #):")
		}
		for _, s := range sortedShapes(x.ErrorShapes) {
			fmt.Fprintf(out, "    %5d × %s\n", x.ErrorShapes[s], s)
		}
		fmt.Fprintln(out)
	}
	for _, e := range r.Errors {
		fmt.Fprintln(out, "ERROR", e)
	}
}

func target(t float64) string {
	if t == 0 {
		return ""
	}
	// %g, not %.1f: 1.75 printed as "1.8" hid a 1.76x miss.
	return fmt.Sprintf("≤ %gx", t)
}
