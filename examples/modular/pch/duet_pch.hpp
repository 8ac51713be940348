// The precompiled header of examples/modular's main.cpp: all of duet, parsed once.
#include <duet/duet.hpp>
