// The device side of jobs (see Worker.swift).
