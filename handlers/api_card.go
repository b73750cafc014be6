package handlers

import (
	"paydesk/antom"
	"paydesk/store"
)

// apiCard is a payment's card, authorisation, acquirer and settlement
// details as the app API shows them: never the buyer-identifying ones
// (cardholder name, PSP customer) nor BIN and expiry, which the dashboard
// also keeps to roles with buyer-data access.
type apiCard struct {
	Brand                 string        `json:"brand,omitempty"`
	Last4                 string        `json:"last4,omitempty"`
	Funding               string        `json:"funding,omitempty"`
	IssuerName            string        `json:"issuerName,omitempty"`
	IssuingCountry        string        `json:"issuingCountry,omitempty"`
	CardCategory          string        `json:"cardCategory,omitempty"`
	PaymentMethodRegion   string        `json:"paymentMethodRegion,omitempty"`
	AuthorizationCode     string        `json:"authorizationCode,omitempty"`
	NetworkTransactionID  string        `json:"networkTransactionId,omitempty"`
	AvsResultRaw          string        `json:"avsResultRaw,omitempty"`
	CvvResultRaw          string        `json:"cvvResultRaw,omitempty"`
	RRN                   string        `json:"rrn,omitempty"`
	RefusalReasonRaw      string        `json:"refusalReasonRaw,omitempty"`
	MerchantAdviceCode    string        `json:"merchantAdviceCode,omitempty"`
	ThreeDS               *apiThreeDS   `json:"threeDS,omitempty"`
	Acquirer              *apiAcquirer  `json:"acquirer,omitempty"`
	GrossSettlementAmount *antom.Amount `json:"grossSettlementAmount,omitempty"`
	SettlementQuote       *apiQuote     `json:"settlementQuote,omitempty"`
	ActualPaymentAmount   *antom.Amount `json:"actualPaymentAmount,omitempty"`
}

// apiThreeDS is the 3-D Secure outcome; Outcome is the dashboard's words.
type apiThreeDS struct {
	Outcome         string `json:"outcome"`
	Version         string `json:"version,omitempty"`
	ECI             string `json:"eci,omitempty"`
	Challenged      bool   `json:"challenged"`
	ExemptionType   string `json:"exemptionType,omitempty"`
	Offered         bool   `json:"offered"`
	ChallengeCancel string `json:"challengeCancel,omitempty"`
	StatusReason    string `json:"statusReason,omitempty"`
}

// apiAcquirer is the acquirer of a payment.
type apiAcquirer struct {
	Name          string `json:"name,omitempty"`
	TransactionID string `json:"transactionId,omitempty"`
	ResultCode    string `json:"resultCode,omitempty"`
	ResultMessage string `json:"resultMessage,omitempty"`
}

// apiQuote is a settlement exchange-rate quote; price is decimal text.
type apiQuote struct {
	CurrencyPair string `json:"currencyPair,omitempty"`
	Price        string `json:"price,omitempty"`
}

func apiAmountOf(m *store.Money) *antom.Amount {
	if m == nil {
		return nil
	}
	a := antom.NewAmount(m.Minor, m.Currency)
	return &a
}

// toAPICard is p's card object, or nil when nothing is known.
func toAPICard(p *store.Payment) *apiCard {
	d := &p.Card
	c := &apiCard{
		Brand: p.CardBrand, Last4: p.CardLast4, Funding: d.Funding, IssuerName: d.IssuerName,
		IssuingCountry: d.IssuingCountry, CardCategory: d.Category, PaymentMethodRegion: d.MethodRegion,
		AuthorizationCode: d.AuthCode, NetworkTransactionID: d.NetworkTxnID, AvsResultRaw: d.AVSRaw,
		CvvResultRaw: d.CVVRaw, RRN: d.RRN, RefusalReasonRaw: p.RefusalReasonRaw, MerchantAdviceCode: p.MerchantAdviceCode,
		GrossSettlementAmount: apiAmountOf(d.Gross), ActualPaymentAmount: apiAmountOf(d.ActualAmount),
	}
	if t := d.ThreeDS; t != nil {
		c.ThreeDS = &apiThreeDS{Outcome: threeDSText(t), Version: t.Version, ECI: t.ECI, Challenged: t.Challenged,
			ExemptionType: t.Exemption, Offered: t.Offered, ChallengeCancel: t.ChallengeCancel, StatusReason: t.StatusReason}
	}
	if a := d.Acquirer; a != nil {
		c.Acquirer = &apiAcquirer{Name: a.Name, TransactionID: a.TransactionID, ResultCode: a.ResultCode, ResultMessage: a.ResultMessage}
	}
	if q := d.Quote; q != nil {
		c.SettlementQuote = &apiQuote{CurrencyPair: q.Pair, Price: q.Price}
	}
	if *c == (apiCard{}) {
		return nil
	}
	return c
}
