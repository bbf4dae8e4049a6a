package main

func x12Command() *command {
	return &command{name: "x12", summary: "Validate, acknowledge and inspect X12 files"}
}
