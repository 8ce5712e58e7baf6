// Package postal holds the postal address value shared by customers, orders
// and shipments.
package postal

import "strings"

// Address is a postal address as the customer gave it. It is stored as JSON
// on the record it belongs to, so an order keeps the address it was placed
// with even when the customer moves.
type Address struct {
	Name       string `json:"name,omitempty"`
	Line1      string `json:"line1"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city"`
	Region     string `json:"region,omitempty"`
	PostalCode string `json:"postalCode,omitempty"`
	Country    string `json:"country"` // ISO 3166-1 alpha-2
}

// Problems lists what is missing or malformed, keyed by the field's name.
func (a Address) Problems() map[string]string {
	p := map[string]string{}
	if strings.TrimSpace(a.Line1) == "" {
		p["line1"] = "is required"
	}
	if strings.TrimSpace(a.City) == "" {
		p["city"] = "is required"
	}
	if c := strings.TrimSpace(a.Country); len(c) != 2 || strings.ToUpper(c) != c {
		p["country"] = "must be a two-letter ISO 3166 code such as DE or CN"
	}
	return p
}
