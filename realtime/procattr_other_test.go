//go:build !linux

package realtime

import "os/exec"

// dieWithTest does nothing here: only Linux can tie a child's life to
// its parent's; the test's cleanup still stops the servers.
func dieWithTest(*exec.Cmd) {}
