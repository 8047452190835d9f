package featurestore

// Entity is the thing features describe (a driver, a customer), identified
// by one or more join keys.
type Entity struct {
	Name     string   `json:"name"`
	JoinKeys []string `json:"join_keys"`
}
