package main

import (
	"github.com/dockside-edi/dockside/edi/x12"
	"github.com/dockside-edi/dockside/edi/x12/documents"
)

// documentsJSON is the JSON of `dockside x12 json`: every interchange, group
// and transaction set with its document.
type documentsFileJSON struct {
	File         string               `json:"file"`
	Interchanges []docInterchangeJSON `json:"interchanges"`
}

type docInterchangeJSON struct {
	Control  string         `json:"control"`
	Sender   string         `json:"sender"`
	Receiver string         `json:"receiver"`
	Usage    string         `json:"usage"`
	Groups   []docGroupJSON `json:"groups"`
}

type docGroupJSON struct {
	Control      string       `json:"control"`
	FunctionalID string       `json:"functional_id"`
	Version      string       `json:"version"`
	Transactions []docSetJSON `json:"transactions"`
}

type docSetJSON struct {
	Set      string `json:"set"`
	Control  string `json:"control"`
	Status   string `json:"status"`
	Document any    `json:"document"`
}

func documentsJSON(v x12.SetValidator, path string) (*documentsFileJSON, *x12.Report, error) {
	out := &documentsFileJSON{File: path, Interchanges: []docInterchangeJSON{}}
	var docs []any
	rep, err := checkFile(v, path, func(t *x12.Transaction, res *x12.SetResult) error {
		docs = append(docs, decodeDocument(t))
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	k := 0
	for _, icr := range rep.Interchanges {
		ij := docInterchangeJSON{Control: icr.Interchange.Control, Sender: icr.Interchange.SenderID,
			Receiver: icr.Interchange.ReceiverID, Usage: icr.Interchange.Usage, Groups: []docGroupJSON{}}
		for _, g := range icr.Groups {
			gj := docGroupJSON{Control: g.Group.Control, FunctionalID: g.Group.FunctionalID, Version: g.Group.Version, Transactions: []docSetJSON{}}
			for _, s := range g.Sets {
				var doc any
				if k < len(docs) {
					doc = docs[k]
				}
				k++
				gj.Transactions = append(gj.Transactions, docSetJSON{Set: s.SetID, Control: s.Control, Status: s.Status, Document: doc})
			}
			ij.Groups = append(ij.Groups, gj)
		}
		out.Interchanges = append(out.Interchanges, ij)
	}
	return out, rep, nil
}

// decodeDocument returns the typed document of a set (documents.Decode), its
// generic segments otherwise, or the decoding error with its place.
func decodeDocument(t *x12.Transaction) any {
	doc, err := documents.Decode(t)
	if err != nil {
		return map[string]string{"error": err.Error()}
	}
	return doc
}
