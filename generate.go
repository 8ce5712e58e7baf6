package main

// Regenerate ent (with the GraphQL schema of its types), then the GraphQL
// executor (gqlgen through cmd/gqlgen, which resolves fields in order).
//go:generate go run -mod=mod ./ent/entc.go
//go:generate go run ./cmd/gqlgen
