package partners

import "go.yaml.in/yaml/v3"

// expansion measures how many nodes a YAML tree stands for once its
// aliases are expanded, so that an "alias bomb" (a few lines whose
// anchors refer to each other, standing for billions of nodes) is refused
// before decoding, in time proportional to the file. It also finds an
// alias that refers to a node containing it.
type expansion struct {
	size  map[*yaml.Node]int
	busy  map[*yaml.Node]bool // being measured: an alias to it is a cycle
	cycle *yaml.Node          // the first alias found inside its own target
}

func newExpansion() *expansion {
	return &expansion{size: map[*yaml.Node]int{}, busy: map[*yaml.Node]bool{}}
}

// measure returns the expanded size of n, saturated at maxNodes+1.
func (e *expansion) measure(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	if n.Kind == yaml.AliasNode {
		if e.busy[n.Alias] {
			if e.cycle == nil {
				e.cycle = n
			}
			return maxNodes + 1
		}
		return e.measure(n.Alias)
	}
	if s, ok := e.size[n]; ok {
		return s
	}
	e.busy[n] = true
	total := 1
	for _, c := range n.Content {
		total = min(total+e.measure(c), maxNodes+1)
	}
	delete(e.busy, n)
	e.size[n] = total
	return total
}

// checkExpansion measures the top-level entries of a profile and reports
// the first one past the node budget, or holding an alias cycle.
func checkExpansion(file string, root *yaml.Node) *ProfileError {
	e := newExpansion()
	total := 0
	for i := 0; i+1 < len(root.Content); i += 2 {
		key := root.Content[i]
		total += e.measure(key) + e.measure(root.Content[i+1])
		switch {
		case e.cycle != nil:
			return &ProfileError{File: file, Line: e.cycle.Line, Column: e.cycle.Column, Path: keyPath("", key.Value),
				Err: details(ErrTooComplex, "alias *%s refers to a node that contains it", e.cycle.Value)}
		case total > maxNodes:
			return &ProfileError{File: file, Line: key.Line, Column: key.Column, Path: keyPath("", key.Value),
				Err: details(ErrTooComplex, "more than %d YAML nodes once aliases are expanded", maxNodes)}
		}
	}
	return nil
}
