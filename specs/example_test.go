package specs_test

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/dockside-edi/dockside/edi/x12"
	"github.com/dockside-edi/dockside/specs"
)

func ExampleCatalog_Check() {
	const edi = `ISA*00*          *00*          *ZZ*VENDOR         *ZZ*WAREHOUSE      *240101*1200*U*00401*000000001*0*P*>~
GS*IB*VENDOR*WAREHOUSE*20240101*1200*1*X*004060~
ST*846*0001~
BIA*00*SI*INV1*20231350~
SE*3*0001~
GE*1*1~
IEA*1*000000001~
`
	cat, err := specs.Load()
	if err != nil {
		panic(err)
	}
	dec := x12.NewDecoder(strings.NewReader(edi), nil)
	for {
		ev, err := dec.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			panic(err)
		}
		if ev.Kind != x12.SetRead {
			continue
		}
		o := cat.Check(ev.Transaction)
		fmt.Printf("release %s validated with %s: %s %v\n", o.Release, o.Version, o.Result.Status, o.Result.Codes)
		for _, s := range o.Result.Segments {
			for _, e := range s.Elements {
				fmt.Printf("AK3*%s*%d**%s AK4*%d*%s*%s: %s\n", s.SegmentID, s.Position, s.Code, e.Position, e.Reference, e.Code, e.Msg)
			}
		}
	}
	// Output:
	// release 004060 validated with 004010: R [5]
	// AK3*BIA*2**8 AK4*4*373*8: BIA04 (date, element 373) "20231350" is not a valid date CCYYMMDD
}
