"""Card programmes: membership (levels and points), punch cards, time cards and gift cards."""
