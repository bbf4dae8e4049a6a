package events

import (
	"encoding/json"
	"strings"
)

// SchemaID is the $id of the JSON Schema (the API serves it there).
const SchemaID = "/api/v1/events/schema"

// Schema returns the JSON Schema (draft 2020-12) of one event, built from
// Fields. A batch is an array of such events. Rules between fields (one of
// sku and item; the fields a type requires or refuses) are in the
// descriptions and in docs/events.md; the API applies them all.
func Schema() []byte {
	envelope := map[string]any{}
	data := map[string]any{}
	var required, dataRequired []string
	for _, f := range Fields {
		prop := map[string]any{"type": f.JSONType, "description": f.Doc}
		if f.Format != "" {
			prop["format"] = f.Format
		}
		if len(f.Enum) > 0 {
			prop["enum"] = f.Enum
		}
		if f.MaxLen > 0 {
			prop["maxLength"] = f.MaxLen
		}
		if f.Name == "id" || f.Name == "source" {
			prop["minLength"] = 1
		}
		if f.JSONType == "integer" {
			prop["minimum"], prop["maximum"] = -MaxQuantity, MaxQuantity
		}
		name, isData := strings.CutPrefix(f.Name, "data.")
		allTypes := len(f.Required) == 1 && f.Required[0] == "*"
		switch {
		case isData:
			data[name] = prop
			if allTypes {
				dataRequired = append(dataRequired, name)
			}
		default:
			envelope[f.Name] = prop
			if allTypes {
				required = append(required, f.Name)
			}
		}
	}
	dataSchema := map[string]any{"type": "object", "properties": data, "required": dataRequired, "additionalProperties": false}
	envelope["data"] = dataSchema
	s := map[string]any{
		"$schema":     "https://json-schema.org/draft/2020-12/schema",
		"$id":         SchemaID,
		"title":       "Dockside inventory event",
		"description": "A canonical inventory event in a CloudEvents 1.0 envelope (see docs/events.md). POST one event, or a batch as a JSON array of events.",
		"type":        "object",
		"properties":  envelope,
		"required":    required,
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		panic(err) // maps of strings and numbers always marshal
	}
	return append(b, '\n')
}
