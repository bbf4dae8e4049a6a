package docgen

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxExample bounds an example's length in characters.
const maxExample = 120

// AddExamples sets each key's Example to its first value in the YAML
// documents given (file name → content), for keys that are not sections.
// Aliases and merge keys are followed; keys starting with "x-" skipped.
func AddExamples(keys []Key, files map[string][]byte, names []string) error {
	index := map[string]int{}
	for i, k := range keys {
		index[k.Path] = i
	}
	for _, name := range names {
		var root yaml.Node
		if err := yaml.Unmarshal(files[name], &root); err != nil {
			return fmt.Errorf("docgen: %s: %w", name, err)
		}
		if len(root.Content) == 0 {
			continue
		}
		exampleWalk(keys, index, resolve(root.Content[0]), "")
	}
	return nil
}

func exampleWalk(keys []Key, index map[string]int, n *yaml.Node, base string) {
	if n == nil || n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		if v == nil {
			continue
		}
		if k.Value == "<<" { // merge key: its pairs belong here
			if v.Kind == yaml.SequenceNode {
				for _, m := range v.Content {
					exampleWalk(keys, index, resolve(m), base)
				}
			} else {
				exampleWalk(keys, index, v, base)
			}
			continue
		}
		if strings.HasPrefix(k.Value, "x-") {
			continue
		}
		p := join(base, k.Value)
		if _, ok := index[p]; !ok {
			p = join(base, MapKey)
		}
		if j, ok := index[p]; ok && !keys[j].Section && keys[j].Example == "" {
			keys[j].Example = exampleText(keys[j].Name, v)
		}
		switch v.Kind {
		case yaml.MappingNode:
			exampleWalk(keys, index, v, p)
		case yaml.SequenceNode:
			for _, item := range v.Content {
				exampleWalk(keys, index, resolve(item), p+"[]")
			}
		}
	}
}

func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// exampleText writes name: value on one line (flow style for lists and
// mappings), without comments.
func exampleText(name string, v *yaml.Node) string {
	c := clean(v)
	if c.Kind != yaml.ScalarNode {
		c.Style = yaml.FlowStyle
	}
	b, err := yaml.Marshal(&yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: name}, c}})
	if err != nil {
		return ""
	}
	s := strings.Join(strings.Fields(strings.TrimSpace(string(b))), " ")
	if len(s) > maxExample {
		s = s[:maxExample] + "…"
	}
	return s
}

// clean copies n without comments, anchors and aliases.
func clean(n *yaml.Node) *yaml.Node {
	n = resolve(n)
	c := &yaml.Node{Kind: n.Kind, Tag: n.Tag, Value: n.Value, Style: n.Style &^ (yaml.FlowStyle)}
	if n.Kind == yaml.ScalarNode {
		c.Style = n.Style & (yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle)
	}
	for _, ch := range n.Content {
		c.Content = append(c.Content, clean(ch))
	}
	return c
}

// Page is a reference page.
type Page struct {
	// Title and Intro start the page (Intro is Markdown).
	Title, Intro string
	// Keys are the keys, as Walk lists them.
	Keys []Key
	// Extra adds lines about a key (an environment variable, say).
	Extra func(Key) []string
}

// Markdown renders the page: one section per top-level key, one entry
// per key with its type, whether it is required, its default, its doc,
// its allowed values and an example.
func (p Page) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n%s\n", p.Title, strings.TrimSpace(p.Intro))
	b.WriteString("\n## Keys\n\n")
	for _, k := range p.Keys {
		if k.Depth == 0 {
			fmt.Fprintf(&b, "- [`%s`](#%s)\n", k.Path, anchor(k.Path))
		}
	}
	for _, k := range p.Keys {
		level := "###"
		if k.Depth == 0 {
			level = "##"
		}
		fmt.Fprintf(&b, "\n%s `%s`\n\n", level, k.Path)
		facts := []string{"type: " + k.Type}
		if k.Required {
			facts = append(facts, "**required**")
		}
		if k.Default != "" {
			facts = append(facts, "default: `"+k.Default+"`")
		}
		b.WriteString(strings.Join(facts, " · ") + "\n\n")
		b.WriteString(prose(k.Doc) + "\n")
		if k.TypeDoc != "" && k.Values == nil && k.TypeDoc != k.Doc {
			fmt.Fprintf(&b, "\n*%s*: %s\n", k.Type, prose(k.TypeDoc))
		}
		if len(k.Values) > 0 {
			b.WriteString("\nAllowed values:\n\n")
			for _, v := range k.Values {
				if v.Doc != "" {
					fmt.Fprintf(&b, "- `%s`: %s\n", v.Name, prose(v.Doc))
				} else {
					fmt.Fprintf(&b, "- `%s`\n", v.Name)
				}
			}
		}
		if p.Extra != nil {
			for _, l := range p.Extra(k) {
				b.WriteString("\n" + l + "\n")
			}
		}
		if k.Example != "" {
			fmt.Fprintf(&b, "\nExample: `%s`\n", k.Example)
		}
	}
	return b.String()
}

// prose is a doc comment as Markdown text: a "<" outside code spans is
// escaped, so that a placeholder such as <data>/sftp is shown rather than
// taken for an HTML tag and dropped.
func prose(doc string) string {
	var b strings.Builder
	code := false
	for _, r := range doc {
		switch {
		case r == '`':
			code = !code
		case r == '<' && !code:
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// anchor is the GitHub anchor of a heading made of `path`.
func anchor(path string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(path) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		}
	}
	return b.String()
}
