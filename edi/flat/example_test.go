package flat_test

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/dockside-edi/dockside/edi/flat"
)

func ExampleNewCSVReader() {
	input := "SKU;UPC;On hand\nA-100;012345678905;12\nA-200;000000000017;x\"\n"
	r, err := flat.NewCSVReader(strings.NewReader(input), flat.CSVConfig{
		File:      "inventory.csv",
		Delimiter: ";",
		Header:    true,
		Columns:   []flat.Column{{Name: "sku"}, {Name: "upc"}, {Name: "qty", Header: "on hand"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if flat.IsRowError(err) {
			fmt.Println("skipped:", err)
			continue
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		upc, _ := row.Get("upc")
		at, _ := row.Place("upc")
		fmt.Println(upc, "at", at)
	}
	// Output:
	// 012345678905 at inventory.csv:2:7
	// skipped: inventory.csv:3:21: field "qty": bare " in non-quoted field
}

func ExampleNewCSVReader_missingColumn() {
	_, err := flat.NewCSVReader(strings.NewReader("sku,desc,on hand\n"), flat.CSVConfig{
		File:    "inventory.csv",
		Header:  true,
		Columns: []flat.Column{{Name: "qty", Header: "quantity"}},
	})
	fmt.Println(errors.Is(err, flat.ErrMissingColumn))
	fmt.Println(err)
	// Output:
	// true
	// inventory.csv:1: field "qty": missing column: no header "quantity"; headers found: "sku", "desc", "on hand"
}
