package inbox

import (
	"os"
	"syscall"
	"testing"
)

// TestAdoptCopiesFromAnotherFileSystem: a file on another file system
// (tmpfs in /dev/shm) cannot be linked; it is copied.
func TestAdoptCopiesFromAnotherFileSystem(t *testing.T) {
	s, dir := openTest(t)
	shm, err := os.MkdirTemp("/dev/shm", "inbox-test-")
	if err != nil {
		t.Skip("no /dev/shm for a second file system")
	}
	defer os.RemoveAll(shm)
	var a, b syscall.Stat_t
	if syscall.Stat(shm, &a) != nil || syscall.Stat(dir, &b) != nil || a.Dev == b.Dev {
		t.Skip("/dev/shm is on the same file system")
	}
	in := written(t, shm, "from another file system")
	m := adopt(t, s, "acme", "b.edi", in)
	if got := bodyOf(t, s, m.ID); got != "from another file system" {
		t.Errorf("body %q", got)
	}
	upload, _ := os.Stat(in.File().Name())
	blob, _ := os.Stat(s.blobPath(m.SHA256))
	if os.SameFile(upload, blob) {
		t.Error("linked across file systems")
	}
}
