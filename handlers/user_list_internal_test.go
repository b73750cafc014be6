package handlers

import "testing"

// The users page says in words what every permission allows.
func TestEveryPermissionIsDescribed(t *testing.T) {
	for _, p := range AllPermissions() {
		if permissionDescriptions[p] == "" {
			t.Errorf("permission %s has no description on the users page", p)
		}
	}
}
