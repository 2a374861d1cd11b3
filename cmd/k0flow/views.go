package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/k0flow/k0flow/phases"
	"github.com/k0flow/k0flow/statestore"
)

// A view renders one command's result, as Terraform's
// internal/command/views do: with --output json the value's own JSON
// encoding, otherwise text for people from the command's text function.
// The command computes its result once, before either is chosen, so the
// two say the same thing. apply and destroy stream events instead (observer.go
// for people, stream.go for machines).
type view[T any] struct {
	c    *cli
	out  output
	text func(w io.Writer, v T) error
}

func (v view[T]) show(m T) error {
	if v.out.json() {
		return v.c.printJSON(m)
	}
	return v.text(v.c.stdout, m)
}

func (c *cli) printJSON(v any) error {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// runView is apply's and destroy's view: the run's events as they happen
// and the phases' output, as text for people (observer.go, coloured on a
// terminal) or as the JSON stream (stream.go, docs/stream.schema.json).
func (c *cli) runView(out output, colors colorArgs, store *statestore.Store) (phases.Observer, io.Writer) {
	if out.json() {
		stream := &streamObserver{w: c.stdout}
		return stream, stream
	}
	color, _ := c.useColor(colors)
	return &textObserver{w: c.stdout, store: store, paint: painter(color)}, c.stdout
}

// runNote is a run command's closing message: a line for people, or an
// event of the stream.
func (c *cli) runNote(out output, ev streamEvent) {
	if out.json() {
		(&streamObserver{w: c.stdout}).emit(ev)
		return
	}
	fmt.Fprintln(c.stdout, ev.Message)
}

// count is "1 run", "2 runs": a number with its noun.
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func itsOrTheir(n int) string {
	if n == 1 {
		return "its"
	}
	return "their"
}
