package cluster_test

import (
	"testing"

	"github.com/dockside-edi/dockside/cluster"
	"github.com/dockside-edi/dockside/cluster/clustertest"
)

func TestSingleContract(t *testing.T) {
	clustertest.Run(t, func(testing.TB) cluster.Lease { return cluster.Single{} })
}
