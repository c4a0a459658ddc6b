// The rule engine lands here.
