package main

import (
	"encoding/json"
	"fmt"
	"io"
)

// jsonArray streams a JSON array, one object per line, so that a long
// listing is never held in memory whole.
type jsonArray struct {
	w     io.Writer
	count int
}

func (j *jsonArray) write(v any) error {
	line, err := json.Marshal(v)
	if err != nil {
		return err
	}
	sep := ",\n  "
	if j.count == 0 {
		sep = "[\n  "
	}
	j.count++
	_, err = fmt.Fprintf(j.w, "%s%s", sep, line)
	return err
}

func (j *jsonArray) close() error {
	end := "\n]\n"
	if j.count == 0 {
		end = "[]\n"
	}
	_, err := io.WriteString(j.w, end)
	return err
}
