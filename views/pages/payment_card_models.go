package pages

// CardSection is the payment page's "Card and authorisation" section: what
// Antom said about the card, the authorisation, the acquirer and settlement.
// Every list holds only the fields that have a value.
type CardSection struct {
	Card          []Field // brand and last four, BIN, expiry, issuer, country, funding
	Authorisation []Field // auth code, network transaction ID, AVS, CVV, 3-D Secure, refusal
	Acquirer      []Field // acquirer, its transaction ID, settlement
	// Buyer holds the buyer-identifying fields (cardholder name, PSP
	// customer), only for roles with buyer-data access; BuyerHidden says
	// there are some the viewer may not see.
	Buyer       []Field
	BuyerHidden string
	// Empty says why there is nothing yet; "" when something is shown.
	Empty string
}
