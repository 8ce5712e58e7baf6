package main

// Regenerate ent (with the GraphQL schema of its types), then the GraphQL
// executor (gqlgen through cmd/gqlgen, which resolves fields in order), then
// the published schema.graphql and its reference docs/schema.md
// (cmd/schema).
//go:generate go run -mod=mod ./ent/entc.go
//go:generate go run ./cmd/gqlgen
//go:generate go run ./cmd/schema schema.graphql docs/schema.md
