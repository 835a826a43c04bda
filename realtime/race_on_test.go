//go:build race

package realtime

// raceEnabled: built with -race, where sync.Pool drops some of what it is
// given, so allocation counts do not hold.
const raceEnabled = true
