package gateway

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// nodeCores reads $DOCKSIDE_BENCH_NODE_CPU, the cores each node process
// of BenchmarkClusterSmall846s may use (0: no limit). On one machine the
// nodes otherwise share its cores, so three nodes can never do more than
// the one node that already keeps them busy; given a quota each, every
// node is a machine of that size, and the benchmark measures what adding
// such machines brings, with PostgreSQL unlimited.
func nodeCores(b *testing.B) float64 {
	s := os.Getenv("DOCKSIDE_BENCH_NODE_CPU")
	if s == "" {
		return 0
	}
	c, err := strconv.ParseFloat(s, 64)
	if err != nil || c <= 0 || c > 64 {
		b.Fatalf("DOCKSIDE_BENCH_NODE_CPU=%q: want the cores of a node, such as 0.5", s)
	}
	return c
}

// limitCPU puts process pid in a CPU cgroup of its own allowed cores
// (cgroup v2 cpu.max, or v1 cpu.cfs_quota_us); the cgroup is removed at
// the end of the benchmark. It needs the right to create cgroups (root).
func limitCPU(b *testing.B, name string, pid int, cores float64) {
	const period = 100_000 // µs
	quota := int(cores * period)
	write := func(file, value string) error {
		return os.WriteFile(file, []byte(value), 0o644)
	}
	var dir string
	var err error
	switch {
	case exists("/sys/fs/cgroup/cgroup.controllers"): // v2 at the root
		dir = filepath.Join("/sys/fs/cgroup", name)
		if err = os.Mkdir(dir, 0o755); err == nil {
			err = write(filepath.Join(dir, "cpu.max"), fmt.Sprintf("%d %d", quota, period))
		}
	case exists("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"): // v1
		dir = filepath.Join("/sys/fs/cgroup/cpu", name)
		if err = os.Mkdir(dir, 0o755); err == nil {
			err = errors.Join(write(filepath.Join(dir, "cpu.cfs_period_us"), strconv.Itoa(period)),
				write(filepath.Join(dir, "cpu.cfs_quota_us"), strconv.Itoa(quota)))
		}
	default:
		err = errors.New("no cgroup CPU controller under /sys/fs/cgroup")
	}
	if err == nil {
		err = write(filepath.Join(dir, "cgroup.procs"), strconv.Itoa(pid))
	}
	if err != nil {
		if dir != "" {
			os.Remove(dir)
		}
		b.Fatalf("DOCKSIDE_BENCH_NODE_CPU: limiting node %s to %g cores: %v", name, cores, err)
	}
	b.Cleanup(func() { os.Remove(dir) }) // empty once the node has exited
}

func exists(file string) bool {
	_, err := os.Stat(file)
	return err == nil
}
