package fault

import (
	"fmt"
	"io"
	"strconv"
)

// MarshalGQL writes the code as a GraphQL enum value.
func (c Code) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(c))) }

// UnmarshalGQL reads a code from a GraphQL enum value.
func (c *Code) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("error codes are strings")
	}
	*c = Code(s)
	return nil
}
