// Command hello is the baseline for process start: a Go program that
// prints a line and exits.
package main

import "fmt"

func main() { fmt.Println("hello") }
