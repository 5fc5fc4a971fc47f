package main

import (
	"math"
	"slices"
	"time"
)

// percentile returns the nearest-rank p-th percentile (0 < p <= 100) of d.
// Nearest rank keeps p99 an observed sample rather than an interpolation.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	rank = min(max(rank, 1), len(s))
	return s[rank-1]
}

// median of d; the mean of the two middle samples for even lengths.
func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// medianFloat is median for ratios.
func medianFloat(f []float64) float64 {
	if len(f) == 0 {
		return math.NaN()
	}
	s := slices.Clone(f)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// pairwiseRatios divides x[i] by base[i]. Pairing runs from the same round
// cancels out drift in machine load that would bias a ratio of medians.
func pairwiseRatios(x, base []time.Duration) []float64 {
	n := min(len(x), len(base))
	r := make([]float64, 0, n)
	for i := range n {
		if base[i] > 0 {
			r = append(r, float64(x[i])/float64(base[i]))
		}
	}
	return r
}

// medianInt is the lower median, for sizes.
func medianInt(v []int) int {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}
