//! Field inference from text (in progress).
