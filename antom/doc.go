// Package antom speaks Antom's Checkout Payment protocol for card payments:
// wire types, request signing and verification, the API client, notification
// parsing and amounts in minor units.
//
// It imports nothing else from Paydesk. The byte-level rules it follows are in
// shared/antom-protocol.md; section numbers in comments refer to that file.
package antom
