module enginemod

go 1.26.0
