package as2

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestStoreReceivedRecords: records go in and out whole, MDN bytes
// included (any bytes, zeros too), and records in the older all-JSON form
// still read.
func TestStoreReceivedRecords(t *testing.T) {
	st, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	recs := []*ReceivedRecord{
		{Partner: "acme", MessageID: "<a@x>", Processed: true, Disposition: "processed", InboxID: 7,
			MIC: MIC{Value: "abc=", Alg: "sha-256"}, Text: "stored", MDNType: "multipart/signed",
			MDN: []byte("--b\r\n\x00binary\x00\r\n--b--\r\n"), MDNMessageID: "<mdn@x>", At: at},
		{Partner: "acme", MessageID: "<b@x>", Disposition: "processed/error: decryption-failed", At: at},
		{Partner: "acme", MessageID: "<c@x>", Processed: true, MDN: []byte{}, At: at},
	}
	for _, r := range recs {
		if err := st.PutReceived(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	old := &ReceivedRecord{Partner: "acme", MessageID: "<old@x>", Processed: true, MDNType: "text/plain",
		MDN: []byte("an MDN of before"), At: at}
	v, _ := json.Marshal(old)
	if err := st.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketReceived).Put(receivedKey(old.Partner, old.MessageID), v)
	}); err != nil {
		t.Fatal(err)
	}
	for _, want := range append(recs, old) {
		got, err := st.Received(context.Background(), want.Partner, want.MessageID)
		if err != nil || got == nil {
			t.Fatalf("%s: %v, %v", want.MessageID, got, err)
		}
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		if !bytes.Equal(gj, wj) || (got.MDN == nil) != (want.MDN == nil) {
			t.Errorf("%s:\n got %s\nwant %s", want.MessageID, gj, wj)
		}
	}
	if n, err := st.Prune(context.Background(), at.Add(time.Second)); err != nil || n != 4 {
		t.Errorf("prune: %d, %v", n, err)
	}
}
