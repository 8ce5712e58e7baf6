package main

// Regenerate ent (with the GraphQL schema of its types), then gqlgen.
//go:generate go run -mod=mod ./ent/entc.go
//go:generate go run github.com/99designs/gqlgen generate
