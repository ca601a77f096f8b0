"""The stage machine: stages and the transition table (`stages`), gates and move effects
(`gates`), who may request a move (`policy`), the move use case (`services`), its button and API."""
