"""The audit trail, at the bottom of the house: every service that changes state writes its events here
(``audit.events.record``), in the same transaction as the change; ``oversight`` only reads them."""
