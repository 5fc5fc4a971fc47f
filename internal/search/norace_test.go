//go:build !race

package search

// raceEnabled reports a -race build, whose timings mean nothing.
const raceEnabled = false
