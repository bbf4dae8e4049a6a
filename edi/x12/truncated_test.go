package x12

import (
	"strings"
	"testing"
)

// TestTruncatedGroupRejected: a file cut off inside a group (a syntax
// error stops the reading before its GE) gets a rejected group, so that
// its 997 does not accept what was never read; a group that ended before
// the cut stays as it was.
func TestTruncatedGroupRejected(t *testing.T) {
	const isa = "ISA*00*          *00*          *ZZ*ACME3PL        *ZZ*DOCKSIDE       *261125*2330*U*00401*000000501*0*P*>~\n"
	const set = "ST*846*0001~\nBIA*00*DD*INV1*20261125~\nSE*3*0001~\n"
	tests := []struct {
		name, in string
		want     []string // group statuses
	}{
		{"cut inside a set", isa + "GS*IB*ACME3PL*DOCKSIDE*20261125*2330*501*X*004010~\nST*846*0001~\nBIA*00*DD", []string{StatusRejected}},
		{"cut after a whole set", isa + "GS*IB*ACME3PL*DOCKSIDE*20261125*2330*501*X*004010~\n" + set + "GE*1*5", []string{StatusRejected}},
		{"cut in the next group", isa + "GS*IB*ACME3PL*DOCKSIDE*20261125*2330*501*X*004010~\n" + set + "GE*1*501~\n" +
			"GS*IB*ACME3PL*DOCKSIDE*20261125*2330*502*X*004010~\nST*846*0002~\nBIA", []string{StatusAccepted, StatusRejected}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Check(strings.NewReader(tt.in), EnvelopeOnly, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Err == nil || len(rep.Interchanges) != 1 {
				t.Fatalf("want one interchange stopped by a syntax error; err %v, %d interchanges", rep.Err, len(rep.Interchanges))
			}
			var got []string
			for i := range rep.Interchanges[0].Groups {
				got = append(got, rep.Interchanges[0].Groups[i].Status())
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("group statuses %v, want %v", got, tt.want)
			}
			g := &rep.Interchanges[0].Groups[len(got)-1]
			ack := string(writeAck(t, Ack997, g))
			if !strings.Contains(ack, "AK9*R*") {
				t.Errorf("the cut group's 997 does not reject it:\n%s", ack)
			}
		})
	}
}
