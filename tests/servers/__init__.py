"""Real HTTP servers on loopback for the tests: nothing here mocks the network."""
