"""Pure coordinate maths: reference systems and distances. No I/O."""
