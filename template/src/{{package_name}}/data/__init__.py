"""The training data: a seeded synthetic sample to start with (`sample`), read from any SQL
database by URL (`extract`) and checked against the model's contract before training
(`schema`). `database` holds what the reader and the writer share."""
